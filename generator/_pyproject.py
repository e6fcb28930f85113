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
    return sync_module_dependencies(path, module, version, requirements)


def sync_module_dependencies(path: Path, module: str, version: str, requirements: Sequence[str]) -> list[str]:
    """Give ``module`` (at ``version``) the dependencies ``requirements``, as adding it afresh would.

    A dependency recorded for the module that the user left as it was is replaced in place by the
    requirement on the same distribution, or removed when it is no longer required; one the user changed
    is theirs and stays. Requirements on distributions the project lacks are appended. The record under
    ``[tool.factory.modules.<module>]`` then holds ``version`` and the dependencies that are the module's;
    they are returned. With no record yet, this is what ``factory add`` does.
    """
    doc = _load(path)
    deps = _dependencies(doc, path)
    table = _modules_table(doc)
    record: Any = table.get(module)
    recorded = {str(r) for r in record.get("dependencies", [])} if record is not None else set()
    wanted = {_name(req): req for req in requirements}
    mine: set[str] = set()
    for index in reversed(range(len(deps))):
        item = str(deps[index])
        if item not in recorded:
            continue
        if _name(item) in wanted:
            deps[index] = wanted[_name(item)]
            mine.add(_name(item))
        else:
            del deps[index]
    present = {_name(str(item)) for item in deps}
    for req in requirements:
        if _name(req) not in present:
            deps.add_line(req, indent="  ")
            mine.add(_name(req))
    added = [req for req in requirements if _name(req) in mine]
    new_record = tomlkit.table()
    new_record["version"] = version
    new_record["dependencies"] = added
    table[module] = new_record
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return added


def _name(requirement: str) -> str:
    return Requirement(requirement).name.lower()


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
