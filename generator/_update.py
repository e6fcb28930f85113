"""``factory update``: move a project to the newest template version, keeping the user's edits.

Copier does the three-way merge; this module adds what copier lacks: it refuses a dirty project, runs a
``--pretend`` preview in a scratch clone (so the project is never touched), classifies every changed file
(new, updated, merged, conflict, removed) by comparing with a render of the project's *old* template
version, and reports conflicts itself (copier exits 0 when it leaves conflict markers).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion, Version

from . import _git
from ._catalog import Template, find_templates
from ._engines import copier as engine
from ._project import Project, has_conflict_markers
from ._sources import TemplateRef, publish_to_store, store_path, template_for_source
from .errors import SourceError

ChangeKind = Literal["new", "updated", "merged", "conflict", "removed"]


@dataclass(frozen=True)
class FileChange:
    """One file an update adds, changes or removes."""

    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class UpdateResult:
    """What an update did (or, with ``pretend``, would do)."""

    project: Path
    from_version: str | None
    to_version: str | None
    pretend: bool
    changes: list[FileChange] = field(default_factory=list)

    @property
    def conflicts(self) -> list[str]:
        """Paths left with conflict markers for the user to resolve."""
        return [c.path for c in self.changes if c.kind == "conflict"]

    @property
    def up_to_date(self) -> bool:
        """Whether there was nothing to update."""
        return self.from_version == self.to_version


def update_project(path: Path, *, pretend: bool = False) -> UpdateResult:
    """Update the project at ``path`` to its template's newest version (see module docstring)."""
    project = Project.load(path)
    project.require_clean()
    target = _target_ref(project)
    current = _strip_v(project.commit)
    wanted = _strip_v(target.ref) if target.ref else None
    if wanted is not None and current is not None and not _is_newer(wanted, current):
        return UpdateResult(project.path, current, current, pretend)
    with tempfile.TemporaryDirectory(prefix="factory-update-") as tmp:
        scratch = Path(tmp)
        old_render = scratch / "old"
        engine.copy(project.src_path, project.commit, old_render, project.answers, ask=False)
        workdir = project.path
        if pretend:
            workdir = scratch / "preview"
            _git.clone(str(project.path), workdir)
        engine.update(workdir, target.ref)
        changes = classify_changes(workdir, old_render)
        new_version = _strip_v(Project.load(workdir).commit)
    return UpdateResult(project.path, current, new_version, pretend, changes)


def _target_ref(project: Project) -> TemplateRef:
    """The newest version to update to: the store refreshed from the installed factory, or the git server."""
    template = template_for_source(project.src_path, find_templates().values())
    if template is not None and project.src_path == str(store_path(template.name)):
        return publish_to_store(template)
    if template is None:
        _check_reachable(project.src_path, find_templates())
    return TemplateRef(project.src_path, None, None)


def _check_reachable(src: str, templates: dict[str, Template]) -> None:
    if "://" in src or src.startswith("git@") or Path(src).is_dir():
        return
    names = ", ".join(sorted(templates)) or "service"
    raise SourceError(
        f"the project's template source {src} does not exist on this machine",
        f"Set FACTORY_SOURCE_<NAME> (templates: {names}) to your team's template git server, "
        "or edit _src_path in .copier-answers.yml to a copy of the template repository.",
    )


def classify_changes(updated: Path, old_render: Path) -> list[FileChange]:
    """Classify each path git reports changed in ``updated`` against its last commit.

    A changed file whose committed content equals the old template render was never edited by the
    user: the update just replaced it ("updated"). Otherwise both sides changed it ("merged").
    """
    unmerged = set(_git.unmerged_paths(updated))
    changes = [
        FileChange(name, _kind(code, name, updated, old_render, unmerged))
        for code, name in _git.status_porcelain(updated)
    ]
    return sorted(changes, key=lambda c: c.path)


def _kind(code: str, name: str, updated: Path, old_render: Path, unmerged: set[str]) -> ChangeKind:
    if name in unmerged or "U" in code or has_conflict_markers(updated / name):
        return "conflict"
    if code == "??" or "A" in code:
        return "new"
    if "D" in code:
        return "removed"
    old_template_file = old_render / name
    committed = _git.show_file(updated, "HEAD", name)
    untouched = old_template_file.is_file() and committed == old_template_file.read_bytes()
    return "updated" if untouched else "merged"


def _strip_v(ref: str | None) -> str | None:
    return ref.removeprefix("v") if ref else None


def _is_newer(candidate: str, current: str) -> bool:
    try:
        return Version(candidate) > Version(current)
    except InvalidVersion:
        return candidate != current
