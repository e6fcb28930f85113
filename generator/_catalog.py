"""Find the templates and modules the factory can use.

Bundled ones ship inside the wheel (``generator/_bundled/``); in a source checkout they are the
repository's top-level ``templates/`` and ``modules/``. ``FACTORY_TEMPLATES_PATH`` and
``FACTORY_MODULES_PATH`` (``os.pathsep``-separated folders) are searched first, so a platform team can
try a template from its own checkout; published modules come from the registry (:mod:`._registry`)
before the bundled ones.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from . import _registry
from ._config import trusted_sources
from ._manifest import ModuleInfo, load_module_manifest, load_template_manifest
from .errors import ManifestError, UnknownTemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Template:
    """A copier template the factory can render: its folder and its manifest's facts."""

    name: str
    version: str
    summary: str
    path: Path
    kind: str = "template"
    trusted: bool = False  # whether its tasks and migrations may run without --trust
    manifest: ModuleInfo | None = None  # a module's manifest, parsed once when it was found

    @property
    def module(self) -> ModuleInfo:
        """The facts of a module's manifest (requires, dependencies, settings, ...)."""
        if self.manifest is None:
            raise TypeError(f"{self.name} is a {self.kind}, not a module")
        return self.manifest


def _bundled_root(kind: str) -> Path:
    wheel = _PACKAGE_DIR / "_bundled" / kind
    return wheel if wheel.is_dir() else _PACKAGE_DIR.parent / kind


def _search_path(kind: str, env_var: str) -> list[Path]:
    extra = [Path(p).expanduser().resolve() for p in os.environ.get(env_var, "").split(os.pathsep) if p]
    return [*extra, _bundled_root(kind)]


def find_templates() -> dict[str, Template]:
    """All templates by name; the first folder in the search path that has a name wins."""
    found: dict[str, Template] = {}
    for root in _search_path("templates", "FACTORY_TEMPLATES_PATH"):
        for name, tpl in _scan(root).items():
            found.setdefault(name, tpl)
    return found


def _scan(root: Path) -> dict[str, Template]:
    result: dict[str, Template] = {}
    if not root.is_dir():
        return result
    for manifest_path in sorted(root.glob("*/template.toml")):
        info = load_template_manifest(manifest_path).template
        folder = manifest_path.parent
        if info.name != folder.name:
            raise ManifestError(
                f"{manifest_path}: name {info.name!r} differs from its folder {folder.name!r}",
                "Make template.name equal to the folder name.",
            )
        result[info.name] = Template(info.name, info.version, info.summary, folder)
    return result


def get_template(name: str) -> Template:
    """The template called ``name``, or an error that suggests the closest names."""
    templates = find_templates()
    if name in templates:
        return templates[name]
    close = difflib.get_close_matches(name, list(templates), n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "Run `factory list` to see what is installed."
    raise UnknownTemplateError(f"no template named {name!r}", hint)


def find_modules() -> dict[str, Template]:
    """All integration modules by name (folders with a ``module.toml``), first in the search path wins.

    The search path: ``FACTORY_MODULES_PATH``, then the registry, then the bundled modules.
    """
    trusted = trusted_sources()
    extra = [(p, str(p) in trusted) for p in _search_path("modules", "FACTORY_MODULES_PATH")[:-1]]
    roots = [
        *extra,
        (_registry.modules_root(), _registry.source() in trusted),
        (_bundled_root("modules"), True),
    ]
    found: dict[str, Template] = {}
    for root, root_trusted in roots:
        if not root.is_dir():
            continue
        for manifest_path in sorted(root.glob("*/module.toml")):
            folder = manifest_path.parent
            info = load_module_manifest(manifest_path).module
            is_trusted = root_trusted or str(folder.resolve()) in trusted
            found.setdefault(
                info.name, Template(info.name, info.version, info.summary, folder, "module", is_trusted, info)
            )
    return found


def module_from_path(path: Path, *, trusted: bool = False) -> Template:
    """The module in folder ``path`` (for ``factory module check`` and ``publish``)."""
    path = path.expanduser().resolve()
    info = load_module_manifest(path / "module.toml").module
    if not (path / "copier.yml").is_file():
        raise ManifestError(f"{path} has no copier.yml", "A module is a copier template: add its copier.yml.")
    return Template(info.name, info.version, info.summary, path, "module", trusted, info)
