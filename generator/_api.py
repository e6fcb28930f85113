"""The use cases behind the public functions: catalog -> answers -> stage -> engine -> result."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _git
from ._answers import load_questions, read_answers_file, validate_answers
from ._catalog import Template, find_modules, find_templates, get_template
from ._config import configured_source
from ._engines import copier as engine
from ._modules import apply_plan, plan_modules
from ._names import package_name, validate_project_name
from ._project import Project
from ._sources import resolve_source, store_path
from ._staging import check_target, staged
from .errors import AnswerValidationError

Progress = Callable[[str], None]


def _quiet(_step: str) -> None:
    """Default progress callback: say nothing."""


@dataclass(frozen=True)
class NewRequest:
    """Everything ``factory new`` needs to render a project."""

    name: str
    output_dir: Path = field(default_factory=Path.cwd)
    template: str = "service"
    data: Mapping[str, Any] = field(default_factory=dict)
    answers_file: Path | None = None
    ask: bool = False
    git_init: bool = True
    modules: Sequence[str] = ()
    trust: bool = False  # let modules from untrusted sources run their tasks


@dataclass(frozen=True)
class NewResult:
    """The project ``factory new`` made."""

    path: Path
    template: str
    version: str | None
    source: str
    package: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogEntry:
    """One line of ``factory list``."""

    name: str
    kind: str
    version: str
    summary: str
    source: str


def new_project(request: NewRequest, progress: Progress = _quiet) -> NewResult:
    """Validate the request, render the template into a temporary folder and move it into place."""
    name = validate_project_name(request.name)
    template = get_template(request.template)
    answers, module_data = _collect_answers(request, template)
    target = (request.output_dir / name).resolve()
    check_target(target)
    plan = plan_modules(
        request.modules, (template.name, template.version), data=module_data, trust=request.trust
    )
    progress(f"Preparing template {template.name} {template.version}")
    ref = resolve_source(template)
    progress(f"Rendering {name} from {template.name} {ref.version or '(latest tag)'}")
    with staged(target) as stage:
        engine.copy(ref.src, ref.ref, stage, answers, ask=request.ask)
        if plan.steps:
            progress(f"Adding modules {', '.join(plan.steps)}")
            apply_plan(Project.load(stage), plan)
        if request.git_init:
            progress("Creating the git repository and its first commit")
            _git.init_and_commit(stage, f"chore: generate {name} from template {template.name} {ref.version}")
    return NewResult(target, template.name, ref.version, ref.src, package_name(name), answers, plan.steps)


def _collect_answers(request: NewRequest, template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The base template's answers, and the rest of ``--data`` for the requested modules."""
    questions = load_questions(template.path)
    raw: dict[str, Any] = {}
    if request.answers_file is not None:
        raw.update(read_answers_file(request.answers_file))
    raw.update(request.data)
    module_data = {}
    if request.modules:
        module_data = {k: raw.pop(k) for k in list(raw) if k not in questions}
    given = raw.get("project_name", request.name)
    if given != request.name:
        raise AnswerValidationError(
            f"project_name={given!r} contradicts the NAME argument {request.name!r}",
            "Drop project_name from --data/--answers-file; NAME sets it.",
        )
    raw["project_name"] = request.name
    if "copyright_year" in questions:
        raw.setdefault("copyright_year", datetime.now(tz=UTC).year)
    return validate_answers(raw, questions), module_data


def list_catalog() -> list[CatalogEntry]:
    """Every template and module the factory can use, with its version and source."""
    entries = []
    for item in [*find_templates().values(), *find_modules().values()]:
        source = configured_source(item.name) if item.kind == "template" else None
        where = source or str(store_path(item.name, item.kind))
        entries.append(CatalogEntry(item.name, item.kind, item.version, item.summary, where))
    return entries
