"""``factory add``: apply modules to a project, each as its own copier application.

Every module is rendered from the version store (so ``copier update -a .copier-answers.<module>.yml``
works later) into a scratch folder first. Only when every file is known to be new to the project are
the files copied in, and the module's Python dependencies merged into ``pyproject.toml`` (see
:mod:`._pyproject`). A failure part-way takes back everything this run added: nothing half-applied.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._answers import load_questions, validate_answers
from ._catalog import Template, find_modules, find_templates
from ._engines import copier as engine
from ._manifest import ModuleInfo
from ._plan import resolve_plan
from ._project import ANSWERS_FILE, MODULE_ANSWERS_GLOB, Project, yaml_problem
from ._pyproject import add_module_dependencies, remove_module_dependencies
from ._sources import publish_to_store, template_of_source
from .errors import (
    AnswerValidationError,
    ManifestError,
    ModuleConflictError,
    NotAProjectError,
    UntrustedModuleError,
)


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


@dataclass(frozen=True)
class ModulePlan:
    """A checked plan: the modules to apply in order, their templates, manifests and answers."""

    steps: tuple[str, ...]
    already: tuple[str, ...]
    templates: Mapping[str, Template]
    infos: Mapping[str, ModuleInfo]
    answers: Mapping[str, dict[str, Any]]
    trust: bool = False

    def unsafe(self, name: str) -> bool:
        """Whether module ``name``'s tasks may run."""
        return self.trust or self.templates[name].trusted


def plan_modules(
    requested: Sequence[str],
    base: tuple[str, str],
    installed: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
    *,
    catalog: Mapping[str, Template] | None = None,
    trust: bool = False,
) -> ModulePlan:
    """Resolve and check everything about adding ``requested`` before any file is written.

    ``catalog`` replaces the modules found on the search path (``factory module check`` passes the
    module under test); ``trust`` lets modules from untrusted sources run their tasks.
    """
    templates = dict(catalog) if catalog is not None else find_modules()
    infos = {name: t.module for name, t in templates.items()}
    plan = resolve_plan(requested, infos, installed, base=base)
    for name in plan.steps:
        if not (trust or templates[name].trusted):
            check_no_tasks(templates[name])
    answers = _split_answers(data or {}, [templates[name] for name in plan.steps])
    return ModulePlan(plan.steps, plan.already, templates, infos, answers, trust)


def check_no_tasks(module: Template) -> None:
    """Refuse a module from an untrusted source whose copier.yml runs tasks or migrations."""
    try:
        config = yaml.safe_load((module.path / "copier.yml").read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ManifestError(
            f"{module.path / 'copier.yml'}: cannot read it: {exc}", "Check the file."
        ) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(
            f"{module.path / 'copier.yml'} is not valid YAML: {yaml_problem(exc)}", "Fix that line."
        ) from exc
    wanted = [key for key in ("_tasks", "_migrations") if isinstance(config, dict) and config.get(key)]
    if wanted:
        raise UntrustedModuleError(
            f"module {module.name} ({module.path}) wants to run {' and '.join(k[1:] for k in wanted)}, "
            "and its source is not trusted",
            "Read its copier.yml; if you trust it, pass --trust, or list its folder in [trust] sources "
            "of the factory config (or FACTORY_TRUSTED).",
        )


def add_modules(
    path: Path,
    modules: Sequence[str],
    data: Mapping[str, Any] | None = None,
    *,
    require_clean: bool = True,
    trust: bool = False,
    catalog: Mapping[str, Template] | None = None,
) -> AddResult:
    """Add ``modules`` (and the modules they require) to the project at ``path``."""
    project = Project.load(path)
    installed = list(project.module_answers())
    plan = plan_modules(modules, _base_of(project), installed, data, catalog=catalog, trust=trust)
    if plan.steps and require_clean:  # adding what is already there is a no-op, even in a dirty tree
        project.require_clean()
    return apply_plan(project, plan)


def apply_plan(project: Project, plan: ModulePlan) -> AddResult:
    """Apply a checked plan; a failure part-way takes back everything this run added."""
    applied: list[AppliedModule] = []
    try:
        for name in plan.steps:
            _apply(
                project,
                plan.templates[name],
                plan.infos[name],
                plan.answers[name],
                applied,
                plan.unsafe(name),
            )
    except BaseException:
        _take_back(project.path, applied)
        raise
    return AddResult(project.path, applied, list(plan.already))


def _base_of(project: Project) -> tuple[str, str]:
    template = template_of_source(project.src_path, project.commit, find_templates())
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
    unsafe: bool,
) -> None:
    """Render one module in a scratch folder, check ownership, copy its files in, merge its dependencies.

    Progress is recorded in ``applied`` as it happens, so a failure can be taken back completely.
    """
    ref = publish_to_store(template)
    answers_file = module_answers_file(template.name)
    with render_module(project.path, ref.src, ref.ref, answers, answers_file, unsafe=unsafe) as (
        stage,
        files,
    ):
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


def module_answers_file(name: str) -> str:
    """The answers file of module ``name`` in a project (``Project.module_answers`` reads them back)."""
    return MODULE_ANSWERS_GLOB.replace("*", name)


@contextmanager
def render_module(
    project: Path,
    src: str,
    ref: str | None,
    answers: Mapping[str, Any],
    answers_file: str,
    *,
    unsafe: bool = False,
) -> Iterator[tuple[Path, list[str]]]:
    """Render a module into a scratch folder; yield it and the files it holds (answers file included).

    The project's base answers file is copied in first: modules read it through ``_external_data``.
    The module's own answers come from ``answers`` and its defaults only, never from the project's
    answers (copier would take them as the module's previous answers without ``answers_file``).
    """
    with tempfile.TemporaryDirectory(prefix="factory-module-") as tmp:
        stage = Path(tmp)
        shutil.copy2(project / ANSWERS_FILE, stage / ANSWERS_FILE)
        engine.copy(src, ref, stage, answers, ask=False, unsafe=unsafe, answers_file=answers_file)
        files = sorted(
            p.relative_to(stage).as_posix()
            for p in stage.rglob("*")
            if p.is_file() and p.name != ANSWERS_FILE
        )
        yield stage, files


def _take_back(root: Path, applied: Sequence[AppliedModule]) -> None:
    """Delete what this run added (files are new by construction) and its dependency records."""
    for module in reversed(applied):
        for rel in module.files:
            (root / rel).unlink(missing_ok=True)
            remove_empty_parents(root, (root / rel).parent)
        remove_module_dependencies(root / "pyproject.toml", module.name)


def remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
