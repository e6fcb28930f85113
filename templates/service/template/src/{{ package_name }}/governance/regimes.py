"""The regulatory regimes the service answers to (``governance/regimes.toml``): retention and data residency.

The file lists every regime the template knows, with its dates, the minimum period its decision records
are kept and the jurisdiction (if any) its data must stay in; ``selected`` names the ones that apply to
this project. From the selection follow two defaults: the audit retention is the longest period among
them, and the data residency is the one jurisdiction they require (two different ones are an error: one
deployment cannot be in both). :func:`check_residency` then refuses any store outside that jurisdiction.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import GovernanceError

DEFAULT_REGIMES_PATH = Path("governance/regimes.toml")


class Regime(BaseModel):
    """One regime: what it is, whether it is in force, and what it asks of the audit trail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    status: Literal["in_force", "draft", "consultation"]
    published: date | None = None
    applies_from: date | None = None
    audit_retention_years: int = Field(ge=1, le=100)
    basis: str = Field(min_length=1)
    residency: str | None = None
    residency_basis: str | None = None


class Jurisdiction(BaseModel):
    """Where data may be kept: region names, or patterns such as ``in-*`` for the lender's data centres."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: tuple[str, ...] = Field(min_length=1)

    def admits(self, region: str) -> bool:
        """True when ``region`` is one of this jurisdiction's regions (patterns use ``*``)."""
        return any(fnmatchcase(region, pattern) for pattern in self.regions)


class RegimeFile(BaseModel):
    """The whole ``governance/regimes.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    selected: tuple[str, ...] = Field(min_length=1)
    regimes: dict[str, Regime]
    jurisdictions: dict[str, Jurisdiction] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_resolve(self) -> RegimeFile:
        unknown = [name for name in self.selected if name not in self.regimes]
        if unknown:
            known = ", ".join(sorted(self.regimes))
            msg = f"selected names unknown regime(s) {', '.join(unknown)}: choose among {known}"
            raise ValueError(msg)
        for name, regime in self.regimes.items():
            if regime.residency is not None and regime.residency not in self.jurisdictions:
                msg = f"regime {name} requires residency {regime.residency!r}, which [jurisdictions] does not define"
                raise ValueError(msg)
        return self


@dataclass(frozen=True)
class Obligations:
    """What the selected regimes ask for, and which regime asks it."""

    selected: tuple[str, ...]
    retention_years: int
    retention_set_by: str
    residency: str | None
    residency_set_by: tuple[str, ...]
    jurisdiction: Jurisdiction | None


def load_regimes(path: Path = DEFAULT_REGIMES_PATH) -> RegimeFile:
    """Read and validate the file; :class:`GovernanceError` naming the file and the problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GovernanceError(f"cannot read the regimes file {path}: {exc} (set the regimes_path setting)") from exc
    try:
        return RegimeFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise GovernanceError(f"{path} is not a valid regimes file: {problems}") from exc


def obligations(regimes: RegimeFile, *, residency_override: str | None = None) -> Obligations:
    """The retention and residency that follow from the selection (``residency_override`` replaces the latter)."""
    chosen = {name: regimes.regimes[name] for name in regimes.selected}
    longest = max(chosen, key=lambda name: (chosen[name].audit_retention_years, name))
    required: dict[str, list[str]] = {}
    for name, regime in chosen.items():
        if regime.residency is not None:
            required.setdefault(regime.residency, []).append(name)
    set_by: tuple[str, ...]
    if residency_override is not None:
        if residency_override not in regimes.jurisdictions:
            known = ", ".join(sorted(regimes.jurisdictions)) or "none"
            raise GovernanceError(f"data_residency {residency_override!r} is not a jurisdiction of the file ({known})")
        residency, set_by = residency_override, ("the data_residency setting",)
    elif len(required) > 1:
        clash = "; ".join(f"{where} ({', '.join(names)})" for where, names in required.items())
        raise GovernanceError(
            f"the selected regimes require data in different jurisdictions: {clash}. One deployment cannot be in "
            "both: deploy one service per jurisdiction, or set data_residency to the one this deployment serves"
        )
    elif required:
        residency, names = next(iter(required.items()))
        set_by = tuple(names)
    else:
        residency, set_by = None, ()
    return Obligations(
        selected=regimes.selected,
        retention_years=chosen[longest].audit_retention_years,
        retention_set_by=longest,
        residency=residency,
        residency_set_by=set_by,
        jurisdiction=None if residency is None else regimes.jurisdictions[residency],
    )


def retention_years(duties: Obligations, configured: int | None) -> int:
    """The audit retention: the configured one if set (never shorter than the regimes'), else theirs."""
    if configured is None:
        return duties.retention_years
    if configured < duties.retention_years:
        raise GovernanceError(
            f"audit_retention_years={configured} is shorter than the {duties.retention_years} years regime "
            f"{duties.retention_set_by} requires: raise it, or deselect that regime in governance/regimes.toml"
        )
    return configured


def check_residency(duties: Obligations, stores: Mapping[str, str]) -> None:
    """Refuse (:class:`GovernanceError`) when a store (name to region) is outside the required jurisdiction."""
    if duties.jurisdiction is None:
        return
    outside = {name: region for name, region in stores.items() if not duties.jurisdiction.admits(region)}
    if outside:
        where = ", ".join(f"{name} in {region}" for name, region in sorted(outside.items()))
        raise GovernanceError(
            f"data residency: {duties.residency} is required (by {', '.join(duties.residency_set_by)}) but {where}. "
            f"Run {'them' if len(outside) > 1 else 'it'} in a region of {duties.residency} "
            f"({', '.join(duties.jurisdiction.regions)}), or correct the region or store_regions setting if it "
            "names the wrong place"
        )
