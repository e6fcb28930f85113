"""``factory import cookiecutter PATH``: convert a cookiecutter template into a factory module.

The module is a copier template (``copier.yml`` + ``template/``) with a ``module.toml`` and a README.
What cookiecutter renders gets copier's ``.jinja`` suffix (or another one when the template already uses
it); everything else, ``_copy_without_render`` matches and binary files, is copied verbatim, ``{{ }}``
included. The project folder of the cookiecutter template (``{{cookiecutter.project_slug}}/``) becomes
``template/``: a module renders into the project root. Hooks become copier tasks, which run only when the
module is trusted. Nothing is written unless the whole template converts (see :mod:`._staging`).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from ._cookiecutter_files import write_module_files
from ._cookiecutter_jinja import JinjaConverter
from ._cookiecutter_questions import convert_questions, question_names
from ._cookiecutter_tree import convert_shared_templates, convert_tree, include_resolver, template_suffix
from ._manifest import ModuleInfo, load_module_manifest
from ._names import suggest
from ._staging import staged
from .errors import InvalidInputError, InvalidNameError, TargetExistsError

DEFAULT_BASE = "service>=1.1,<2"
_SUMMARY_KEYS = ("project_short_description", "project_description", "short_description", "description")
_BUILTIN_EXTENSIONS = re.compile(r"^(cookiecutter\.extensions\.\w+|jinja2_time\.TimeExtension)$")
_MODULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_MAX_SUMMARY = 200
_GENERIC_FOLDERS = frozenset({"template", "templates", "cookiecutter"})  # folder names that name nothing
_NAME_KEYS = ("project_slug", "slug", "package_name", "project_name", "repo_name")


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how to name the module."""

    source: Path
    output_dir: Path
    name: str | None = None
    version: str = "0.1.0"
    summary: str | None = None
    base: str = DEFAULT_BASE


@dataclass(frozen=True)
class ImportResult:
    """The module written, what was converted and what could only be approximated."""

    path: Path
    name: str
    converted: list[str]
    warnings: list[str]
    needs_trust: bool


@dataclass(frozen=True)
class CookiecutterTemplate:
    """A cookiecutter template on disk: its root, its project folder and its ``cookiecutter.json``."""

    root: Path
    project_dir: Path
    context: dict[str, Any]


@dataclass
class Conversion:
    """Everything decided while converting, written out at the end."""

    info: ModuleInfo
    template: CookiecutterTemplate
    converter: JinjaConverter
    suffix: str
    settings: dict[str, Any] = field(default_factory=dict)
    questions: dict[str, Any] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    verbatim: list[str] = field(default_factory=list)
    crlf: list[str] = field(default_factory=list)
    shared: set[str] = field(default_factory=set)
    converted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_cookiecutter(request: ImportRequest) -> ImportResult:
    """Convert the cookiecutter template at ``request.source`` into ``output_dir/<name>/``."""
    template = read_template(request.source.expanduser().resolve())
    info = _module_info(request, template)
    target = request.output_dir.expanduser().resolve() / info.name
    if target.exists():
        raise TargetExistsError(f"{target} already exists", "Choose another --name or --output-dir.")
    conversion = _plan(info, template)
    with staged(target) as stage:
        stage.mkdir()
        convert_tree(conversion, stage / "template")
        convert_shared_templates(conversion, stage / "templates")
        _convert_hooks(conversion, stage)
        conversion.converted.extend(sorted(conversion.converter.mapped))
        conversion.warnings.extend(conversion.converter.warnings)
        write_module_files(conversion, stage)
        load_module_manifest(stage / "module.toml")
    return ImportResult(target, info.name, conversion.converted, conversion.warnings, bool(conversion.tasks))


def read_template(root: Path) -> CookiecutterTemplate:
    """The template at ``root``; refuses a folder that is not one, or a malformed ``cookiecutter.json``."""
    config = root / "cookiecutter.json"
    if not config.is_file():
        raise InvalidInputError(
            f"{root} is not a cookiecutter template: it has no cookiecutter.json",
            "Pass the folder that holds cookiecutter.json (clone a remote template first).",
        )
    try:
        context = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else exc
        )
        raise InvalidInputError(f"{config}: malformed JSON at {where}", "Fix the JSON syntax.") from exc
    if not isinstance(context, dict):
        raise InvalidInputError(f"{config}: the top level is not an object", 'Use {"variable": "default"}.')
    if nested := {"template", "templates"} & context.keys():
        raise InvalidInputError(
            f"{root} holds nested cookiecutter templates (the {sorted(nested)[0]!r} key): not converted",
            f"Import each nested template on its own: factory import cookiecutter {root}/<folder>",
        )
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _is_project_folder(p.name))
    if not folders:
        raise InvalidInputError(
            f"{root} is not a cookiecutter template: "
            "no folder is named like {{cookiecutter.project_slug}}",
            "Put the project files in a folder whose name uses a cookiecutter variable.",
        )
    return CookiecutterTemplate(root, folders[0], context)


def _is_project_folder(name: str) -> bool:
    """Cookiecutter's own test (``find_template``): the name mentions cookiecutter inside ``{{ }}``."""
    return "cookiecutter" in name and "{{" in name and "}}" in name


def _module_info(request: ImportRequest, template: CookiecutterTemplate) -> ModuleInfo:
    name = request.name or _default_name(template)
    if not _MODULE_NAME.match(name):
        alt = suggest(name)
        raise InvalidNameError(
            f"{name!r} is not a valid module name: use lowercase letters, digits and single hyphens",
            f"Pass --name {alt}." if alt else "Pass --name, e.g. --name my-module.",
        )
    summary = request.summary or _summary(template.context)
    try:
        return ModuleInfo(name=name, version=request.version, summary=summary, base=request.base)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInputError(
            f"module {'.'.join(map(str, err['loc']))}: {err['msg']}", "Change the option named above."
        ) from exc


def _default_name(template: CookiecutterTemplate) -> str:
    """The folder's name without ``cookiecutter-``; when that names no template (``template/``), the slug.

    The slug is the first of ``_NAME_KEYS`` in ``cookiecutter.json`` whose default, rendered as
    cookiecutter renders it, gives a module name (``Loan Report`` -> ``loan-report``).
    """
    folder = re.sub(r"^cookiecutter-|-cookiecutter$", "", template.root.name)
    if folder.lower() not in _GENERIC_FOLDERS:
        return folder
    defaults = _rendered_defaults(template.context)
    for key in _NAME_KEYS:
        if name := suggest(defaults.get(key, "")):
            return name
    raise InvalidNameError(
        f"the template's folder {template.root.name!r} does not name it, and cookiecutter.json has no "
        f"{' or '.join(_NAME_KEYS[:2])} to name the module after",
        "Pass --name, e.g. --name my-module.",
    )


def _rendered_defaults(context: Mapping[str, Any]) -> dict[str, str]:
    """Text defaults of ``cookiecutter.json``, rendered in order as cookiecutter does (failures left out)."""
    env = SandboxedEnvironment(undefined=StrictUndefined)
    rendered: dict[str, str] = {}
    for key, value in context.items():
        default = value[0] if isinstance(value, list) and value else value
        if key.startswith("_") or not isinstance(default, str):
            continue
        try:
            rendered[key] = env.from_string(default).render(cookiecutter=rendered)
        except (TemplateError, TypeError, ValueError):
            continue
    return rendered


def _summary(context: Mapping[str, Any]) -> str:
    for key in _SUMMARY_KEYS:
        value = context.get(key)
        if isinstance(value, str) and value.strip() and "{" not in value:
            text = " ".join(value.split())
            return text if len(text) <= _MAX_SUMMARY else text[: _MAX_SUMMARY - 1] + "…"
    raise InvalidInputError(
        "cookiecutter.json has no project description to use as the module's summary",
        'Pass --summary "One line saying what the module adds".',
    )


def _plan(info: ModuleInfo, template: CookiecutterTemplate) -> Conversion:
    """Check the settings, build the converter and the questions: all before any file is written."""
    context = template.context
    _check_extensions(context.get("_extensions", []))
    envops = _envops(context)
    names = question_names(context)
    shared: set[str] = set()
    suffix = template_suffix(template.project_dir)
    converter = JinjaConverter(names, envops, include_resolver(template, suffix, shared))
    conversion = Conversion(info, template, converter, suffix, shared=shared)
    questions = conversion.questions = convert_questions(context, names, converter)
    conversion.settings = {
        "_min_copier_version": "9.5.0",  # _copier_operation, which keeps hooks from running on update
        "_subdirectory": "template",
        "_answers_file": f".copier-answers.{info.name}.yml",
        "_templates_suffix": conversion.suffix,
        **({"_envops": envops} if envops else {}),
    }
    hidden = sum(1 for q in questions.values() if q.get("when") is False)
    conversion.converted.append(f"{len(questions)} questions from cookiecutter.json ({hidden} hidden)")
    conversion.converted.append(f"{template.project_dir.name}/ became template/ (the project root)")
    return conversion


def _check_extensions(extensions: Any) -> None:
    others = [str(e) for e in extensions if not _BUILTIN_EXTENSIONS.match(str(e))]
    if others:
        raise InvalidInputError(
            f"cookiecutter.json: _extensions {', '.join(others)}: not converted "
            "(modules load no Jinja extensions)",
            "Replace what the extension does with plain Jinja, then import again.",
        )


def _envops(context: Mapping[str, Any]) -> dict[str, Any]:
    envops = dict(context.get("_jinja2_env_vars", {}))
    refused = sorted({"line_statement_prefix", "line_comment_prefix", "undefined"} & envops.keys())
    if refused:
        raise InvalidInputError(
            f"cookiecutter.json: _jinja2_env_vars {', '.join(refused)}: not converted",
            "Remove the setting (use plain Jinja tags), then import again.",
        )
    if context.get("_new_lines"):
        envops["newline_sequence"] = context["_new_lines"]
    return envops


def _convert_hooks(conversion: Conversion, stage: Path) -> None:
    """Cookiecutter hooks as copier tasks that run the rendered hook from the module's ``hooks/``."""
    hooks = conversion.template.root / "hooks"
    if not hooks.is_dir():
        return
    scripts = sorted(p for p in hooks.iterdir() if p.is_file() and not p.name.endswith("~"))
    if any(p.stem == "pre_prompt" for p in scripts):
        raise InvalidInputError(
            "hooks/pre_prompt: not converted (copier has nothing that runs before its questions)",
            "Remove the pre_prompt hook (move its checks into a post_gen_project hook), then import again.",
        )
    for hook in ("pre_gen_project", "post_gen_project"):
        conversion.tasks.extend(_hook_task(p, conversion, stage) for p in scripts if p.stem == hook)
    start, end = conversion.converter.var
    for task in conversion.tasks:  # cookiecutter runs hooks when it generates, never again
        task["when"] = f"{start} _copier_operation == 'copy' {end}"
    if hook_warnings := [p.name for p in scripts if p.stem == "pre_gen_project"]:
        conversion.warnings.append(
            f"hooks/{', '.join(hook_warnings)} runs after the files are rendered, not before "
            "(copier has no pre-render hook): right for checks, wrong for a hook that prepares files"
        )


def _hook_task(script: Path, conversion: Conversion, stage: Path) -> dict[str, Any]:
    where = f"hooks/{script.name}"
    text = conversion.converter.convert(script.read_text(encoding="utf-8"), where)
    (stage / "hooks").mkdir(exist_ok=True)
    (stage / where).write_text(text, encoding="utf-8")
    shutil.copymode(script, stage / where)
    start, end = conversion.converter.block
    include = f"{start} include '{where}' {end}"
    conversion.converted.append(f"{where} became a copier task (runs only with --trust)")
    if script.suffix == ".py":
        python = conversion.converter.var[0] + " _copier_python " + conversion.converter.var[1]
        return {"command": [python, "-c", include]}
    first = text.split("\n", 1)[0]
    if not first.startswith("#!"):
        raise InvalidInputError(
            f"{where} has no #! line, so neither cookiecutter nor copier can run it",
            "Add a #! line (e.g. #!/bin/sh) or write the hook in Python, then import again.",
        )
    argv = shlex.split(first[2:])
    argv = argv[1:] if argv and Path(argv[0]).name == "env" else argv
    return {"command": [*argv, "-c", include]}
