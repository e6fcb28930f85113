"""The ``template.toml`` manifest: factory metadata kept apart from copier's questions.

Pure: reads one file, validates it, raises :class:`ManifestError` naming the file and the field.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import TypeVar

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ManifestError

_NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
_M = TypeVar("_M", bound=BaseModel)


class TemplateInfo(BaseModel):
    """The ``[template]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME_PATTERN)
    version: str
    summary: str = Field(min_length=1, max_length=200)

    @field_validator("version")
    @classmethod
    def _pep440(cls, value: str) -> str:
        try:
            Version(value)
        except InvalidVersion as exc:
            msg = f"{value!r} is not a PEP 440 version such as 1.2.0"
            raise ValueError(msg) from exc
        return value


class ModuleInfo(BaseModel):
    """The ``[module]`` table of a ``module.toml``: the facts ``factory list`` shows.

    Modules carry more keys (requires, conflicts, settings, ...) that the module system validates;
    listing needs only these three, so other keys pass through here.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=_NAME_PATTERN)
    version: str
    summary: str = Field(min_length=1, max_length=200)


class TemplateManifest(BaseModel):
    """A whole ``template.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: TemplateInfo


class ModuleManifest(BaseModel):
    """A ``module.toml`` as far as listing goes."""

    model_config = ConfigDict(extra="allow", frozen=True)

    module: ModuleInfo


def load_template_manifest(path: Path) -> TemplateManifest:
    """Read and validate ``path`` (a ``template.toml``)."""
    return _load(path, TemplateManifest)


def load_module_manifest(path: Path) -> ModuleManifest:
    """Read and validate ``path`` (a ``module.toml``)."""
    return _load(path, ModuleManifest)


def _load(path: Path, model: type[_M]) -> _M:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}", "Fix the TOML syntax.") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(f"{path}: {_describe(exc)}", "Fix the manifest field named above.") from exc


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        known = list(TemplateInfo.model_fields) + list(TemplateManifest.model_fields)
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {loc!r}{suggestion}"
    return f"{loc}: {err['msg']}"
