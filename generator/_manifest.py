"""Manifests: ``template.toml`` and ``module.toml``, factory metadata kept apart from copier's questions.

Pure: reads one file, validates it, raises :class:`ManifestError` naming the file and the field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ManifestError

_NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
_M = TypeVar("_M", bound=BaseModel)


def _check_version(value: str) -> str:
    try:
        Version(value)
    except InvalidVersion as exc:
        msg = f"{value!r} is not a PEP 440 version such as 1.2.0"
        raise ValueError(msg) from exc
    return value


class TemplateInfo(BaseModel):
    """The ``[template]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME_PATTERN)
    version: str
    summary: str = Field(min_length=1, max_length=200)

    _pep440 = field_validator("version")(_check_version)


class ModuleSetting(BaseModel):
    """One setting a module adds to the service (read from the environment at run time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["str", "int", "float", "bool"]
    description: str = Field(min_length=1)
    default: str | int | float | bool | None = None
    secret: bool = False

    @model_validator(mode="after")
    def _secrets_have_no_default(self) -> ModuleSetting:
        if self.secret and self.default is not None:
            msg = "a secret setting must not have a default (secrets come from the environment only)"
            raise ValueError(msg)
        return self


class ModuleTest(BaseModel):
    """How ``factory module check`` tests a module in a generated project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    setup: str = Field(default="make install", description="run once before the command; empty for none")
    command: str = "make check"
    services: list[str] = Field(
        default_factory=list, description="host:port the tests need, e.g. 127.0.0.1:5432"
    )


class ModuleInfo(BaseModel):
    """The ``[module]`` table of a ``module.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME_PATTERN)
    version: str
    summary: str = Field(min_length=1, max_length=200)
    base: str = Field(
        default="service", description="base template and supported versions, e.g. 'service>=1.1,<2'"
    )
    requires: list[str] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)
    python_dependencies: list[str] = Field(default_factory=list)
    settings: dict[str, ModuleSetting] = Field(default_factory=dict)
    test: ModuleTest = Field(default_factory=ModuleTest)

    _pep440 = field_validator("version")(_check_version)

    @field_validator("requires", "conflicts")
    @classmethod
    def _module_names(cls, names: list[str]) -> list[str]:
        bad = [n for n in names if not re.fullmatch(_NAME_PATTERN, n)]
        if bad:
            msg = f"not module names: {', '.join(bad)}"
            raise ValueError(msg)
        return names

    @field_validator("base")
    @classmethod
    def _base_requirement(cls, value: str) -> str:
        try:
            Requirement(value)
        except InvalidRequirement as exc:
            msg = f"{value!r} is not a template requirement such as 'service>=1.1,<2'"
            raise ValueError(msg) from exc
        return value

    @field_validator("python_dependencies")
    @classmethod
    def _requirements(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                Requirement(value)
            except InvalidRequirement as exc:
                msg = f"{value!r} is not a PEP 508 requirement such as 'redis==5.2.1'"
                raise ValueError(msg) from exc
        return values

    def supports(self, template: str, version: str) -> bool:
        """Whether this module can be added to a project of ``template`` at ``version``."""
        requirement = Requirement(self.base)
        return requirement.name == template and requirement.specifier.contains(version, prereleases=True)


class ModuleManifest(BaseModel):
    """A whole ``module.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    module: ModuleInfo


class TemplateManifest(BaseModel):
    """A whole ``template.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: TemplateInfo


def load_template_manifest(path: Path) -> TemplateManifest:
    """Read and validate ``path`` (a ``template.toml``)."""
    return _load(path, TemplateManifest)


def load_module_manifest(path: Path) -> ModuleManifest:
    """Read and validate ``path`` (a ``module.toml``)."""
    return _load(path, ModuleManifest)


def parse_module_manifest(text: str, where: str) -> ModuleManifest:
    """Validate the text of a ``module.toml`` read from elsewhere (a tag of a store); ``where`` names it."""
    return _parse(lambda: text, where, ModuleManifest)


def _load(path: Path, model: type[_M]) -> _M:
    return _parse(lambda: path.read_text(encoding="utf-8"), str(path), model)


def _parse(read: Callable[[], str], where: str, model: type[_M]) -> _M:
    try:
        raw = tomllib.loads(read())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{where}: cannot read manifest: {exc}", "Fix the TOML syntax.") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(f"{where}: {_describe(exc)}", "Fix the manifest field named above.") from exc


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        known = {
            name
            for model in (
                TemplateManifest,
                TemplateInfo,
                ModuleManifest,
                ModuleInfo,
                ModuleSetting,
                ModuleTest,
            )
            for name in model.model_fields
        }
        close = difflib.get_close_matches(str(err["loc"][-1]), sorted(known), n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {loc!r}{suggestion}"
    return f"{loc}: {err['msg']}"
