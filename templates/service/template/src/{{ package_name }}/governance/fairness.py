"""The fairness gate: approval rates per group of the protected attribute, measured with fairlearn.

The protected attribute is never a model feature; it is kept beside the data only to measure outcomes.
"Approve" is the favourable decision and "repaid" (no default) the favourable truth, so the equalised
odds difference compares approval rates among applicants who repaid and among those who defaulted.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..contract import CONTRACT
from ..model import load_model
from ..model.data import digest, generate, split
from .errors import GovernanceError
from .files import read_metadata, write_json

DEFAULT_POLICY_PATH = Path("governance/fairness.toml")
_DECIMALS = 4
_PROTECTED = CONTRACT.protected_attributes


class FairnessPolicy(BaseModel):
    """The thresholds of the gate (``[fairness]`` in ``governance/fairness.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protected_attribute: str = Field(
        default=_PROTECTED[0] if _PROTECTED else "", description="A protected input of the contract (usecase.toml)."
    )
    max_demographic_parity_difference: float = Field(ge=0, le=1)
    max_equalized_odds_difference: float = Field(ge=0, le=1)
    min_approval_rate_ratio: float = Field(ge=0, le=1)
    min_group_size: int = Field(ge=1)

    @field_validator("protected_attribute")
    @classmethod
    def _protected_in_contract(cls, value: str) -> str:
        if value not in _PROTECTED:
            msg = f"{value!r} is not a protected input of usecase.toml (protected: {', '.join(_PROTECTED) or 'none'})"
            raise ValueError(msg)
        return value


@dataclass(frozen=True)
class GroupOutcome:
    """Held-out outcomes of one group of the protected attribute."""

    count: int
    approval_rate: float
    approval_rate_among_repaid: float
    approval_rate_among_defaulted: float


@dataclass(frozen=True)
class FairnessReport:
    """What the gate measured, against which thresholds, and what it found wrong (nothing if it passed)."""

    protected_attribute: str
    approve_below: float
    rows: int
    groups: dict[str, GroupOutcome]
    demographic_parity_difference: float
    equalized_odds_difference: float
    approval_rate_ratio: float
    policy: FairnessPolicy
    violations: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every threshold is met."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (written to ``models/fairness-report.json`` and the model card)."""
        data = asdict(self)
        data["policy"] = self.policy.model_dump()
        data["passed"] = self.passed
        return data


def load_policy(path: Path = DEFAULT_POLICY_PATH) -> FairnessPolicy:
    """Read and validate the ``[fairness]`` table of ``path``."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"cannot read the fairness policy {path}: {exc.strerror}; run from the project root or pass its path"
        raise GovernanceError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        raise GovernanceError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return FairnessPolicy.model_validate(document.get("fairness"))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'fairness'}: {e['msg']}" for e in exc.errors())
        raise GovernanceError(f"{path} [fairness] is invalid: {problems}") from exc


def assess(
    defaulted: npt.ArrayLike,
    probability_of_default: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    approve_below: float,
    policy: FairnessPolicy,
) -> FairnessReport:
    """Measure the decisions ``probability_of_default < approve_below`` per group and check the policy."""
    repaid = 1 - np.asarray(defaulted, dtype=np.int64)
    approved = (np.asarray(probability_of_default, dtype=np.float64) < approve_below).astype(np.int64)
    sensitive = np.asarray(groups, dtype=str)
    frame = MetricFrame(
        metrics={"count": count, "approval_rate": selection_rate},
        y_true=repaid,
        y_pred=approved,
        sensitive_features=sensitive,
    )
    by_group = {
        str(name): GroupOutcome(
            count=int(frame.by_group.loc[name, "count"]),
            approval_rate=_round(frame.by_group.loc[name, "approval_rate"]),
            approval_rate_among_repaid=_rate(approved, (sensitive == name) & (repaid == 1)),
            approval_rate_among_defaulted=_rate(approved, (sensitive == name) & (repaid == 0)),
        )
        for name in sorted(frame.by_group.index)
    }
    report = FairnessReport(
        protected_attribute=policy.protected_attribute,
        approve_below=approve_below,
        rows=len(sensitive),
        groups=by_group,
        demographic_parity_difference=_round(
            demographic_parity_difference(repaid, approved, sensitive_features=sensitive)
        ),
        equalized_odds_difference=_round(equalized_odds_difference(repaid, approved, sensitive_features=sensitive)),
        approval_rate_ratio=_round(demographic_parity_ratio(repaid, approved, sensitive_features=sensitive)),
        policy=policy,
    )
    report.violations.extend(_violations(report))
    return report


def _violations(report: FairnessReport) -> list[str]:
    policy = report.policy
    found = [
        f"group {name!r} has {group.count} held-out rows, fewer than min_group_size {policy.min_group_size}"
        for name, group in report.groups.items()
        if group.count < policy.min_group_size
    ]
    if len(report.groups) < 2:  # noqa: PLR2004 -- a disparity needs two groups
        found.append(f"the held-out set has fewer than two groups of {report.protected_attribute!r}")
    if report.demographic_parity_difference > policy.max_demographic_parity_difference:
        found.append(
            f"demographic parity difference {report.demographic_parity_difference} exceeds "
            f"max_demographic_parity_difference {policy.max_demographic_parity_difference}"
        )
    if report.equalized_odds_difference > policy.max_equalized_odds_difference:
        found.append(
            f"equalised odds difference {report.equalized_odds_difference} exceeds "
            f"max_equalized_odds_difference {policy.max_equalized_odds_difference}"
        )
    if report.approval_rate_ratio < policy.min_approval_rate_ratio:
        found.append(
            f"approval rate ratio {report.approval_rate_ratio} is below "
            f"min_approval_rate_ratio {policy.min_approval_rate_ratio}"
        )
    return found


def write_report(report: FairnessReport, path: Path) -> None:
    """Write the report as sorted, indented JSON (same bytes for the same model)."""
    write_json(report.to_dict(), path)


def _rate(approved: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> float:
    return _round(approved[mask].mean()) if mask.any() else 0.0


def _round(value: Any) -> float:
    return round(float(value), _DECIMALS)


def holdout_fairness(model_path: Path, *, approve_below: float, policy: FairnessPolicy) -> FairnessReport:
    """Load the model at ``model_path``, re-create its held-out split from its metadata, and assess it.

    The regenerated data must hash to the ``data_sha256`` recorded at training time, so the gate always
    measures the rows the model was evaluated on, never a look-alike.
    """
    model = load_model(model_path)  # verifies the artifact against the sha256 in its metadata
    training = read_metadata(model_path).get("training", {})
    try:
        rows, seed, fraction = int(training["rows"]), int(training["seed"]), float(training["holdout_fraction"])
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"the metadata of {model_path} lacks training rows, seed or holdout_fraction"
        raise GovernanceError(msg) from exc
    data = generate(rows, seed)
    if digest(data) != training.get("data_sha256"):
        msg = f"the regenerated training data of {model_path} does not match its data_sha256"
        raise GovernanceError(msg)
    holdout = split(rows, seed, fraction).holdout
    probabilities = model.predict_many([data.records[i] for i in holdout])
    groups = np.asarray(data.protected[policy.protected_attribute])[holdout]
    return assess(data.labels[holdout], probabilities, groups, approve_below=approve_below, policy=policy)
