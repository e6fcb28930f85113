"""``factory add``: apply modules to a project, each as its own copier application.

Every module is rendered from the version store (so ``copier update -a .copier-answers.<module>.yml``
works later) into a scratch folder first. Only when every file is known to be new to the project are
the files copied in, and the module's Python dependencies merged into ``pyproject.toml`` (see
:mod:`._pyproject`). A failure part-way takes back everything this run added: nothing half-applied.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._answers import load_questions, validate_answers
from ._catalog import Template, find_modules, find_templates
from ._engines import copier as engine
from ._manifest import ModuleInfo, load_module_manifest
from ._plan import resolve_plan
from ._project import ANSWERS_FILE, Project
from ._pyproject import add_module_dependencies, remove_module_dependencies
from ._sources import publish_to_store, template_for_source
from .errors import AnswerValidationError, ModuleConflictError, NotAProjectError


@dataclass(frozen=True)
class AppliedModule:
    """One module added to a project: its version, the files it created and the dependencies it added."""

    name: str
    version: str
    files: list[str]
    dependencies: list[str]


@dataclass(frozen=True)
class AddResult:
    """What ``factory add`` did."""

    project: Path
    applied: list[AppliedModule] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def add_modules(
    path: Path, modules: Sequence[str], data: Mapping[str, Any] | None = None, *, require_clean: bool = True
) -> AddResult:
    """Add ``modules`` (and the modules they require) to the project at ``path``."""
    project = Project.load(path)
    if require_clean:
        project.require_clean()
    templates = find_modules()
    infos = {name: load_module_manifest(t.path / "module.toml").module for name, t in templates.items()}
    plan = resolve_plan(modules, infos, list(project.module_answers()), base=_base_of(project))
    answers = _split_answers(data or {}, [templates[name] for name in plan.steps])
    applied: list[AppliedModule] = []
    try:
        for name in plan.steps:
            _apply(project, templates[name], infos[name], answers[name], applied)
    except BaseException:
        _take_back(project.path, applied)
        raise
    return AddResult(project.path, applied, list(plan.already))


def _base_of(project: Project) -> tuple[str, str]:
    template = template_for_source(project.src_path, find_templates().values())
    if template is None or project.version is None:
        raise NotAProjectError(
            f"{project.path} was not generated from a template this factory knows ({project.src_path})",
            "Modules can be added to projects made with `factory new`.",
        )
    return template.name, project.version


def _split_answers(data: Mapping[str, Any], modules: Sequence[Template]) -> dict[str, dict[str, Any]]:
    """Give each module the ``--data`` answers that are its questions; refuse keys no module asks."""
    questions = {m.name: load_questions(m.path) for m in modules}
    unknown = [k for k in data if not any(k in q and q[k].settable for q in questions.values())]
    if unknown:
        raise AnswerValidationError(
            f"no module being added asks {', '.join(map(repr, unknown))}",
            "Check the module's questions in its copier.yml (`factory list` shows the modules).",
        )
    return {
        name: validate_answers({k: v for k, v in data.items() if k in q}, q) for name, q in questions.items()
    }


def _apply(
    project: Project,
    template: Template,
    info: ModuleInfo,
    answers: Mapping[str, Any],
    applied: list[AppliedModule],
) -> None:
    """Render one module in a scratch folder, check ownership, copy its files in, merge its dependencies.

    Progress is recorded in ``applied`` as it happens, so a failure can be taken back completely.
    """
    ref = publish_to_store(template)
    with tempfile.TemporaryDirectory(prefix=f"factory-add-{template.name}-") as tmp:
        stage = Path(tmp)
        shutil.copy2(project.path / ANSWERS_FILE, stage / ANSWERS_FILE)  # read by the module's _external_data
        engine.copy(ref.src, ref.ref, stage, answers, ask=False)
        files = sorted(
            p.relative_to(stage).as_posix()
            for p in stage.rglob("*")
            if p.is_file() and p.name != ANSWERS_FILE
        )
        clashes = [f for f in files if (project.path / f).exists()]
        if clashes:
            raise ModuleConflictError(
                f"module {template.name} would overwrite {', '.join(clashes)}",
                "Those files belong to the project or another module: modules only add files of their own.",
            )
        module = AppliedModule(template.name, info.version, [], [])
        applied.append(module)
        for rel in files:
            (project.path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(stage / rel, project.path / rel)
            module.files.append(rel)
    pyproject = project.path / "pyproject.toml"
    module.dependencies.extend(
        add_module_dependencies(pyproject, template.name, info.version, info.python_dependencies)
    )


def _take_back(root: Path, applied: Sequence[AppliedModule]) -> None:
    """Delete what this run added (files are new by construction) and its dependency records."""
    for module in reversed(applied):
        for rel in module.files:
            (root / rel).unlink(missing_ok=True)
            _remove_empty_parents(root, (root / rel).parent)
        remove_module_dependencies(root / "pyproject.toml", module.name)


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
