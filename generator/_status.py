"""``factory status``: which template and module versions a project is at, and what is left to do.

"Newest" is what ``factory update`` would move to (one function decides both): the version in the local
store refreshed from the installed factory, or the newest version tag of any other git source (a team
server, a copy of the store), read as copier reads it. A source that cannot be read raises
:class:`~generator.errors.SourceUnreachableError` (exit 5): never "unknown" with exit 0, which CI would
take for up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import _git
from ._catalog import find_modules, find_templates
from ._project import Project, has_conflict_markers, read_copier_answers
from ._sources import newest_ref, template_of_source
from ._versions import is_newer

Kind = Literal["template", "module"]


@dataclass(frozen=True)
class ComponentStatus:
    """The base template or one module of a project."""

    name: str
    kind: Kind
    version: str | None
    newest: str | None

    @property
    def outdated(self) -> bool:
        """Whether ``factory update`` would move this component to a newer version."""
        return bool(self.version and self.newest and is_newer(self.newest, self.version))


@dataclass(frozen=True)
class StatusResult:
    """What ``factory status`` reports."""

    project: Path
    components: list[ComponentStatus] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def outdated(self) -> list[str]:
        """Names of the components with a newer version."""
        return [c.name for c in self.components if c.outdated]


def project_status(path: Path) -> StatusResult:
    """Versions of the base template and every module, and files holding conflict markers."""
    project = Project.load(path)
    templates = find_templates()
    base = template_of_source(project.src_path, project.commit, templates)
    name = base.name if base is not None else Path(project.src_path).name
    newest = newest_ref(project.src_path, templates.values()).version
    components = [ComponentStatus(name, "template", project.version, newest)]
    modules = find_modules()
    for module, answers_file in project.module_answers().items():
        src, commit, _answers = read_copier_answers(answers_file)
        version = commit.removeprefix("v") if commit else None
        components.append(
            ComponentStatus(module, "module", version, newest_ref(src, modules.values()).version)
        )
    return StatusResult(project.path, components, _conflicted_files(project.path))


def _conflicted_files(root: Path) -> list[str]:
    """Tracked and untracked (not ignored) files with conflict markers; every file when not a repository."""
    if _git.is_repo(root):
        names = _git.list_files(root)
    else:
        names = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return sorted(n for n in names if has_conflict_markers(root / n))
