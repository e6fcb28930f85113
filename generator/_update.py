"""``factory update``: move a project and its modules to their newest versions, keeping the user's edits.

Copier does each three-way merge; this module adds what copier lacks. It refuses a dirty project. It runs
the updates in a scratch clone, the base template first and then every module in dependency order, each
``copier update`` on its own answers file and committed in the clone (copier refuses a dirty tree), so the
project is touched only once, at the end, and never with ``--pretend``. It classifies every changed file
(new, updated, merged, conflict, removed) by comparing with a render of the versions the project was at,
and reports conflicts itself (copier exits 0 when it leaves conflict markers). A file the user edited
and the new version deletes (copier deletes it regardless) is put back as a conflict. A binary file the
user changed (a retrained model) is put back too: copier carries the user's edits as a text diff, which
drops binary changes, so it silently takes the template's copy; when the new version changed that file
as well, the user's copy stays and the file is reported as a conflict. A module update
also moves the module's dependencies in ``pyproject.toml`` to the new version's, as ``factory add`` of
that version would (copier does not know them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import _git
from ._catalog import Template, find_modules, find_templates
from ._engines import copier as engine
from ._manifest import ModuleInfo, parse_module_manifest
from ._plan import dependency_order
from ._project import Project, has_conflict_markers, read_copier_answers
from ._pyproject import sync_module_dependencies
from ._sources import TemplateRef, newest_ref
from ._versions import is_newer
from .errors import ManifestError

ChangeKind = Literal["new", "updated", "merged", "conflict", "removed"]


@dataclass(frozen=True)
class FileChange:
    """One file an update adds, changes or removes."""

    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class VersionChange:
    """One component (the base template or a module) and the versions an update moves it between."""

    name: str
    from_version: str | None
    to_version: str | None


@dataclass(frozen=True)
class UpdateResult:
    """What an update did (or, with ``pretend``, would do)."""

    project: Path
    from_version: str | None
    to_version: str | None
    pretend: bool
    changes: list[FileChange] = field(default_factory=list)
    modules: list[VersionChange] = field(default_factory=list)

    @property
    def conflicts(self) -> list[str]:
        """Paths left with conflict markers for the user to resolve."""
        return [c.path for c in self.changes if c.kind == "conflict"]

    @property
    def up_to_date(self) -> bool:
        """Whether there was nothing to update."""
        return self.from_version == self.to_version and not self.modules


@dataclass(frozen=True)
class _Step:
    name: str
    answers_file: str | None  # None: the base template's .copier-answers.yml
    current: str | None
    target: TemplateRef
    unsafe: bool = False  # whether its tasks and migrations may run

    @property
    def pending(self) -> bool:
        wanted = _strip_v(self.target.ref)
        return wanted is None or self.current is None or is_newer(wanted, self.current)


def update_project(
    path: Path, *, pretend: bool = False, trust: bool = False, catalog: Mapping[str, Template] | None = None
) -> UpdateResult:
    """Update the project at ``path`` and its modules to their newest versions (see module docstring).

    ``trust`` lets modules from untrusted sources run their migrations; ``catalog`` replaces the modules
    found on the search path (``factory module check`` passes the module under test).
    """
    project = Project.load(path)
    project.require_clean()
    known = dict(catalog) if catalog is not None else find_modules()
    steps = [s for s in _steps(project, known, trust) if s.pending]
    current = _strip_v(project.commit)
    if not steps:
        return UpdateResult(project.path, current, current, pretend)
    with tempfile.TemporaryDirectory(prefix="factory-update-") as tmp:
        scratch = Path(tmp)
        old_render = scratch / "old"
        _render_installed(project, old_render, {s.name: s.unsafe for s in steps})
        workdir = scratch / "work"
        _git.clone(str(project.path), workdir)
        head = _git.run(["rev-parse", "HEAD"], workdir).stdout.strip()
        for step in steps:
            engine.update(workdir, step.target.ref, answers_file=step.answers_file, unsafe=step.unsafe)
            _sync_module_dependencies(workdir, step, known)
            _git.run(["add", "-A"], workdir)
            if _git.has_staged_changes(workdir):  # a source without version tags: copier may change nothing
                _git.commit(workdir, f"factory: update {step.name}")
        _git.run(["reset", "-q", head], workdir)  # the combined change, unstaged, as the user will see it
        binary_conflicts = keep_binary_edits(workdir, old_render)
        changes = classify_changes(workdir, old_render, binary_conflicts)
        keep_deleted_edits(workdir, changes)
        if not pretend:
            _copy_changes(workdir, project.path, changes)
        after = Project.load(workdir)
        modules = [_module_change(after, step) for step in steps if step.answers_file is not None]
    return UpdateResult(project.path, current, _strip_v(after.commit), pretend, changes, modules)


def _steps(project: Project, catalog: Mapping[str, Template], trust: bool) -> list[_Step]:
    """The base template, then every module in dependency order (required modules first)."""
    steps = [_Step("base", None, _strip_v(project.commit), _target_ref(project.src_path, find_templates()))]
    installed = project.module_answers()
    infos = {n: catalog[n].module for n in installed if n in catalog}
    ordered = dependency_order(list(infos), infos) + [n for n in installed if n not in infos]
    for name in ordered:
        src, commit, _answers = read_copier_answers(installed[name])
        unsafe = trust or (name in catalog and catalog[name].trusted)
        steps.append(_Step(name, installed[name].name, _strip_v(commit), _target_ref(src, catalog), unsafe))
    return steps


def _render_installed(project: Project, dst: Path, unsafe: Mapping[str, bool]) -> None:
    """Render the base and every module at the versions the project is at (to tell edits from updates)."""
    engine.copy(project.src_path, project.commit, dst, project.answers, ask=False)
    for name, answers_file in project.module_answers().items():
        src, commit, answers = read_copier_answers(answers_file)
        engine.copy(
            src,
            commit,
            dst,
            answers,
            ask=False,
            unsafe=unsafe.get(name, False),
            answers_file=answers_file.name,
        )


def _sync_module_dependencies(workdir: Path, step: _Step, catalog: Mapping[str, Template]) -> None:
    """Record a module's new version and its dependencies in ``pyproject.toml``, as a fresh add of it would.

    Copier updates the files; the dependencies are the factory's (see :mod:`._pyproject`).
    """
    if step.answers_file is None:
        return
    src, commit, _answers = read_copier_answers(workdir / step.answers_file)
    info = _manifest_at(step.name, src, commit, catalog)
    sync_module_dependencies(workdir / "pyproject.toml", step.name, info.version, info.python_dependencies)


def _manifest_at(name: str, src: str, commit: str | None, catalog: Mapping[str, Template]) -> ModuleInfo:
    """The manifest of module ``name`` at the version ``commit`` of its source ``src``."""
    text = _git.show_file(Path(src), commit, "module.toml") if commit and Path(src).is_dir() else None
    if text is not None:
        return parse_module_manifest(
            text.decode("utf-8", errors="replace"), f"{src}@{commit}:module.toml"
        ).module
    known = catalog.get(name)
    if known is not None and known.version == _strip_v(commit):
        return known.module
    raise ManifestError(
        f"cannot read module.toml of module {name} at {commit} from {src}",
        "Make the module's source reachable (or its version installed), then run the update again.",
    )


def _copy_changes(workdir: Path, project: Path, changes: list[FileChange]) -> None:
    for change in changes:
        target = project / change.path
        if change.kind == "removed":
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workdir / change.path, target)


def _module_change(after: Project, step: _Step) -> VersionChange:
    answers_file = after.path / str(step.answers_file)
    new = read_copier_answers(answers_file)[1] if answers_file.is_file() else None
    return VersionChange(step.name, step.current, _strip_v(new))


def _target_ref(src: str, catalog: Mapping[str, Template]) -> TemplateRef:
    """The newest version to update to: the store refreshed from the factory, or the git source's."""
    return newest_ref(src, catalog.values())


def classify_changes(updated: Path, old_render: Path, conflicts: Collection[str] = ()) -> list[FileChange]:
    """Classify each path git reports changed in ``updated`` against its last commit.

    A changed file whose committed content equals the old template render was never edited by the
    user: the update just replaced it ("updated"). Otherwise both sides changed it ("merged").
    ``conflicts`` are paths known to conflict without markers (binary files both sides changed).
    """
    unmerged = set(_git.unmerged_paths(updated)) | set(conflicts)
    changes = [
        FileChange(name, _kind(code, name, updated, old_render, unmerged))
        for code, name in _git.status_porcelain(updated)
    ]
    listed = {change.path for change in changes}
    changes += [FileChange(name, "conflict") for name in conflicts if name not in listed]  # kept as it was
    return sorted(changes, key=lambda c: c.path)


def _kind(code: str, name: str, updated: Path, old_render: Path, unmerged: set[str]) -> ChangeKind:
    if name in unmerged or "U" in code or has_conflict_markers(updated / name):
        return "conflict"
    if code == "??" or "A" in code:
        return "new"
    old_template_file = old_render / name
    committed = _git.show_file(updated, "HEAD", name)
    untouched = old_template_file.is_file() and committed == old_template_file.read_bytes()
    if "D" in code:  # deleted by the new version: the user's edit, if any, must not be lost
        return "removed" if untouched else "conflict"
    return "updated" if untouched else "merged"


def keep_binary_edits(updated: Path, old_render: Path) -> list[str]:
    """Put back the user's copy of each binary file they changed that the update replaced; return conflicts.

    Copier re-applies the user's edits as a text diff, in which a binary change is only "Binary files
    differ", so it keeps the new template's copy: a retrained model would silently become the shipped
    one. Where the new version left the file as it was, the user's copy simply stands; where it changed
    it too, the user's copy stays and the path is returned, to be reported as a conflict (take the
    template's copy by hand if wanted: binary files cannot be merged).
    """
    conflicts: list[str] = []
    for code, name in _git.status_porcelain(updated):
        if "D" in code or code == "??" or (updated / name).is_symlink():
            continue
        ours = _git.show_file(updated, "HEAD", name)
        if ours is None or _is_text(ours):
            continue
        base_file = old_render / name
        base = base_file.read_bytes() if base_file.is_file() and not base_file.is_symlink() else None
        if ours == base:
            continue  # never edited: the template's new copy is the update
        theirs = (updated / name).read_bytes()
        _git.run(["checkout", "HEAD", "--", name], updated)
        if theirs not in (base, ours):
            conflicts.append(name)
    return conflicts


def _is_text(data: bytes) -> bool:
    """Whether ``data`` is text git can diff (UTF-8 without NUL bytes), as opposed to binary."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def keep_deleted_edits(updated: Path, changes: list[FileChange]) -> None:
    """Put back each file the user edited and the new version deletes (copier deletes it regardless).

    A text file comes back between conflict markers whose template side is empty, so that ``factory
    status`` and editors see the conflict until it is resolved: delete the file to take the template's
    side, or drop the marker lines to keep yours. Any other file comes back as it was.
    """
    for change in changes:
        target = updated / change.path
        if change.kind != "conflict" or target.exists() or target.is_symlink():
            continue
        _git.run(["checkout", "HEAD", "--", change.path], updated)
        if not target.is_symlink():
            target.write_bytes(_deleted_by_template(target.read_bytes()))


def _deleted_by_template(ours: bytes) -> bytes:
    """The user's side of a file the template deletes, as a conflict; binary content as it is."""
    if not _is_text(ours):
        return ours
    body = ours if ours.endswith(b"\n") or not ours else ours + b"\n"
    return (
        b"<<<<<<< before updating\n"
        + body
        + b"=======\n>>>>>>> after updating (the new template version deletes this file)\n"
    )


def _strip_v(ref: str | None) -> str | None:
    return ref.removeprefix("v") if ref else None
