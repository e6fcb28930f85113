"""Structured, TOML-aware edits of a project's ``pyproject.toml`` on behalf of modules.

Modules never overwrite or regex-edit ``pyproject.toml`` (the base template owns it). The factory adds a
module's Python dependencies to ``[project].dependencies`` with tomlkit, which keeps comments and layout,
and records what it added under ``[tool.factory.modules.<name>]`` so that removing the module takes back
exactly that and nothing the user added.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import tomlkit
from packaging.requirements import Requirement
from tomlkit.items import Array, Table

from .errors import ManifestError


def _load(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, tomlkit.exceptions.ParseError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}", "Fix the TOML syntax of pyproject.toml.") from exc


def _dependencies(doc: tomlkit.TOMLDocument, path: Path) -> Array:
    project = doc.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    if not isinstance(deps, Array):
        raise ManifestError(f"{path} has no [project] dependencies list", "Restore it from the template.")
    return deps


def _modules_table(doc: tomlkit.TOMLDocument) -> Table:
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    factory = cast(Table, tool).setdefault("factory", tomlkit.table(is_super_table=True))
    return cast(Table, cast(Table, factory).setdefault("modules", tomlkit.table(is_super_table=True)))


def add_module_dependencies(path: Path, module: str, version: str, requirements: Sequence[str]) -> list[str]:
    """Add ``requirements`` the project lacks (by distribution name); return those added."""
    doc = _load(path)
    deps = _dependencies(doc, path)
    present = {Requirement(str(item)).name.lower() for item in deps}
    added = [req for req in requirements if Requirement(req).name.lower() not in present]
    for req in added:
        deps.add_line(req, indent="  ")
    record = tomlkit.table()
    record["version"] = version
    record["dependencies"] = added
    _modules_table(doc)[module] = record
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return added


def remove_module_dependencies(path: Path, module: str) -> list[str]:
    """Remove the dependencies recorded for ``module`` and its record; return those removed."""
    doc = _load(path)
    table = _modules_table(doc)
    record: Any = table.get(module)
    recorded = [str(r) for r in record.get("dependencies", [])] if record is not None else []
    deps = _dependencies(doc, path)
    for index in reversed(range(len(deps))):
        if str(deps[index]) in recorded:
            del deps[index]
    if module in table:
        del table[module]
    _drop_empty_factory_table(doc)
    path.write_text(tomlkit.dumps(doc).rstrip("\n") + "\n", encoding="utf-8")
    return recorded


def _drop_empty_factory_table(doc: tomlkit.TOMLDocument) -> None:
    tool: Any = doc.get("tool")
    factory = tool.get("factory") if tool is not None else None
    if factory is not None and not factory.get("modules"):
        del tool["factory"]
