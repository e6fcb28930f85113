"""``cookiecutter.json`` as copier questions, in the order and with the rendering cookiecutter uses.

Cookiecutter renders simple variables and choices first and dict variables second (dict defaults may
refer to any other variable); numbers become strings before a template sees them, so they become
``str`` questions here. Private variables (``_x``, never rendered, and ``__x``, rendered) are never
asked: they become hidden (``when: false``) questions named ``private_x`` and ``private__x``, because
copier reserves names that start with ``_``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._cookiecutter_jinja import JinjaConverter, has_jinja, json_template, raw
from .errors import InvalidInputError

SETTINGS = frozenset(
    {
        "_copy_without_render",
        "_extensions",
        "_jinja2_env_vars",
        "_new_lines",
        "_template",
        "_output_dir",
        "_repo_dir",
        "_checkout",
        "__prompts__",
    }
)
"""Keys of ``cookiecutter.json`` that configure cookiecutter rather than name a variable."""

Question = dict[str, Any]


def question_names(context: Mapping[str, Any]) -> dict[str, str]:
    """Copier question name of each cookiecutter variable; refuses names copier cannot use."""
    names: dict[str, str] = {}
    for key in context:
        if key in SETTINGS:
            continue
        name = f"private{key}" if key.startswith("_") else key
        if not name.isidentifier():
            raise InvalidInputError(
                f"cookiecutter.json: variable {key!r} is not a Python identifier, so copier cannot name it",
                "Rename it (letters, digits and underscores), then import again.",
            )
        if name in context and name != key:
            raise InvalidInputError(
                f"cookiecutter.json: private variable {key!r} and variable {name!r} would share one name",
                f"Rename {name!r}, then import again.",
            )
        names[key] = name
    return names


def convert_questions(
    context: Mapping[str, Any], names: Mapping[str, str], converter: JinjaConverter
) -> dict[str, Question]:
    """Copier questions for every variable, first pass then dicts (cookiecutter's order)."""
    prompts = context.get("__prompts__", {})
    prompts = prompts if isinstance(prompts, dict) else {}
    first = [k for k in names if k.startswith("_") or not isinstance(context[k], dict)]
    second = [k for k in names if k not in first]
    return {names[k]: _question(k, context[k], prompts.get(k), converter) for k in [*first, *second]}


def _question(key: str, value: Any, prompt: Any, converter: JinjaConverter) -> Question:
    where = f"cookiecutter.json: {key!r}"
    if value is None:
        raise InvalidInputError(
            f"{where} has no default (null)", "Give it a default value, then import again."
        )
    if key.startswith("_") and not key.startswith("__"):
        return {**_private(value, converter), "when": False}
    if key.startswith("__"):
        return {**_rendered(value, converter, where), "when": False}
    question = _choice(value, prompt, converter, where) if isinstance(value, list) else {}
    question = question or _rendered(value, converter, where)
    help_text = prompt.get("__prompt__") if isinstance(prompt, dict) else prompt
    return {**question, "help": help_text} if isinstance(help_text, str) else question


def _private(value: Any, converter: JinjaConverter) -> Question:
    """A ``_x`` variable: cookiecutter keeps the raw value, so copier must not render it either."""
    if isinstance(value, bool):
        return {"type": "bool", "default": value}
    if isinstance(value, int | float):
        return {"type": type(value).__name__, "default": value}
    if isinstance(value, str):
        return {"type": "str", "default": raw(value, converter)}
    return {"type": "json", "default": raw(json.dumps(value), converter)}


def _rendered(value: Any, converter: JinjaConverter, where: str) -> Question:
    """A variable cookiecutter renders: strings and numbers become text, dicts and lists JSON."""
    if isinstance(value, bool):
        return {"type": "bool", "default": value}
    if isinstance(value, dict | list):
        return {"type": "json", "default": json_template(value, converter, where)}
    return {"type": "str", "default": _text(str(value), converter, where)}


def _choice(options: list[Any], prompt: Any, converter: JinjaConverter, where: str) -> Question:
    """A list variable: one of its options, the first being the default."""
    if not options or any(isinstance(o, dict | list | bool) or o is None for o in options):
        raise InvalidInputError(
            f"{where} is a choice variable whose options are not all text or numbers",
            "Make every option a string, then import again.",
        )
    values = [_text(str(o), converter, f"{where} option {o!r}") for o in options]
    labels = prompt if isinstance(prompt, dict) else {}
    choices = {str(labels.get(str(o), o)): v for o, v in zip(options, values, strict=True)}
    same = all(label == value for label, value in choices.items())
    return {"type": "str", "choices": values if same else choices, "default": values[0]}


def _text(value: str, converter: JinjaConverter, where: str) -> str:
    return converter.convert(value, where) if has_jinja(value, converter) else value
