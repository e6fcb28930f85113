"""``factory remove``: take a module out of a project without losing the user's edits.

The module is rendered again, at the version and with the answers its ``.copier-answers.<module>.yml``
records, into a scratch folder. A project file identical to that render was never edited and is deleted;
a file that differs was edited by the user and is kept and reported, never deleted silently. The module's
dependencies (recorded in ``pyproject.toml`` under ``[tool.factory.modules]``) are taken out, and its
answers file last. Nothing is deleted before everything is known: a failure leaves the project as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._catalog import find_modules
from ._modules import remove_empty_parents, render_module
from ._project import Project, read_copier_answers
from ._pyproject import remove_module_dependencies
from .errors import ModuleConflictError, UnknownModuleError


@dataclass(frozen=True)
class RemoveResult:
    """What ``factory remove`` did."""

    project: Path
    module: str
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


def remove_module(path: Path, name: str, *, require_clean: bool = True, trust: bool = False) -> RemoveResult:
    """Remove module ``name`` from the project at ``path`` (see the module docstring)."""
    project = Project.load(path)
    installed = project.module_answers()
    if name not in installed:
        raise UnknownModuleError(
            f"module {name!r} is not in {project.path.name}",
            f"Modules in this project: {', '.join(installed) or 'none'} (`factory status` lists them).",
        )
    dependents = _dependents(name, [m for m in installed if m != name])
    if dependents:
        raise ModuleConflictError(
            f"module {name} is required by {', '.join(dependents)}",
            f"Remove {', '.join(dependents)} first, then {name}.",
        )
    if require_clean:
        project.require_clean()
    answers_file = installed[name]
    src, ref, answers = read_copier_answers(answers_file)
    result = RemoveResult(project.path, name)
    catalog = find_modules()
    unsafe = trust or (name in catalog and catalog[name].trusted)
    with render_module(project.path, src, ref, answers, answers_file.name, unsafe=unsafe) as (stage, files):
        for rel in files:
            target = project.path / rel
            if rel == answers_file.name or not target.is_file():
                continue
            bucket = result.removed if target.read_bytes() == (stage / rel).read_bytes() else result.kept
            bucket.append(rel)
    for rel in result.removed:
        (project.path / rel).unlink()
        remove_empty_parents(project.path, (project.path / rel).parent)
    result.dependencies.extend(remove_module_dependencies(project.path / "pyproject.toml", name))
    answers_file.unlink()
    return result


def _dependents(name: str, others: list[str]) -> list[str]:
    """Installed modules whose manifest requires ``name``."""
    catalog = find_modules()
    return [other for other in others if other in catalog and name in catalog[other].module.requires]
