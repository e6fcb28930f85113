"""Answers to a template's questions: read from ``--data``, ``--answers-file`` and checked before rendering.

Questions live in the template's ``copier.yml`` (one source of truth). This module only reads their names,
types and choices so that a wrong key or type is refused with a clear message *before* copier writes
anything; copier's own validators (value ranges, patterns) still run during rendering.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._project import yaml_problem
from .errors import AnswerValidationError

_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}
_KIND_NAMES = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "json": "JSON",
    "yaml": "YAML",
}


@dataclass(frozen=True)
class Question:
    """One question of a template: its name, copier type, choices and whether users may answer it."""

    name: str
    type: str
    choices: tuple[Any, ...]
    settable: bool
    multiselect: bool = False


def load_questions(template_dir: Path) -> dict[str, Question]:
    """Questions declared in ``template_dir/copier.yml`` (settings beginning with ``_`` are skipped)."""
    data = yaml.safe_load((template_dir / "copier.yml").read_text(encoding="utf-8")) or {}
    questions: dict[str, Question] = {}
    for name, spec in data.items():
        if str(name).startswith("_"):
            continue
        spec_map = spec if isinstance(spec, dict) else {"default": spec}
        choices = spec_map.get("choices") or ()
        values = tuple(choices.values() if isinstance(choices, dict) else choices)
        questions[name] = Question(
            name=name,
            type=str(spec_map.get("type", "str")),
            choices=values,
            settable=spec_map.get("when", True) is not False,
            multiselect=spec_map.get("multiselect", False) is True,
        )
    return questions


def parse_data_options(items: Iterable[str]) -> dict[str, str]:
    """``["key=value", ...]`` (the repeatable ``--data`` option) as a dict; a later key wins."""
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AnswerValidationError(
                f"--data {item!r} is not of the form key=value", "Write e.g. --data port=8080."
            )
        result[key.strip()] = value
    return result


def read_answers_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML mapping; ``_`` keys are dropped, so another project's answers file works."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AnswerValidationError(
            f"cannot read answers file {path}: {exc.strerror or exc}",
            "Check the path and its permissions.",
        ) from exc
    except yaml.YAMLError as exc:
        raise AnswerValidationError(
            f"answers file {path} is not valid YAML: {yaml_problem(exc)}",
            "Write a YAML mapping such as `port: 8080`.",
        ) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise AnswerValidationError(
            f"answers file {path} holds a {type(loaded).__name__}, not a mapping",
            "Write a YAML mapping such as `port: 8080`.",
        )
    return {str(k): v for k, v in loaded.items() if not str(k).startswith("_")}


def validate_answers(answers: Mapping[str, Any], questions: Mapping[str, Question]) -> dict[str, Any]:
    """Check names, convert strings to the question's type, and check choices."""
    result: dict[str, Any] = {}
    for key, raw in answers.items():
        question = questions.get(key)
        if question is None or not question.settable:
            raise _unknown_key(key, questions)
        if question.multiselect:
            result[key] = _selection(question, raw)
            continue
        value = _coerce(question, raw)
        if question.choices and value not in question.choices:
            allowed = ", ".join(str(c) for c in question.choices)
            raise AnswerValidationError(f"{key}={raw!r} is not one of the choices", f"Use one of: {allowed}.")
        result[key] = value
    return result


def _unknown_key(key: str, questions: Mapping[str, Question]) -> AnswerValidationError:
    names = sorted(q.name for q in questions.values() if q.settable)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return AnswerValidationError(f"unknown question {key!r}", f"{hint}Known questions: {', '.join(names)}.")


def _selection(question: Question, raw: Any) -> list[Any]:
    """A multiple-choice answer: a list (answers file), or text: ``dpdp,cert-in`` or ``[dpdp, cert-in]``."""
    loaded = raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            loaded = (
                yaml.safe_load(text) if text.startswith("[") else [part.strip() for part in text.split(",")]
            )
        except yaml.YAMLError:
            loaded = None
    if not isinstance(loaded, list) or not all(isinstance(item, str) and item for item in loaded):
        raise AnswerValidationError(
            f"{question.name}={raw!r} is not a list of choices",
            f"Separate them with commas: --data {question.name}={','.join(map(str, question.choices[:2]))}",
        )
    wrong = [item for item in loaded if question.choices and item not in question.choices]
    if wrong:
        allowed = ", ".join(str(c) for c in question.choices)
        raise AnswerValidationError(
            f"{question.name}: {', '.join(wrong)} not among the choices", f"Use some of: {allowed}."
        )
    return list(dict.fromkeys(loaded))


def _coerce(question: Question, raw: Any) -> Any:
    kind = question.type
    try:
        if kind == "int":
            return _to_int(raw)
        if kind == "float":
            return _to_float(raw)
        if kind == "bool":
            return _to_bool(raw)
        if kind in {"json", "yaml"} and isinstance(raw, str):
            return json.loads(raw) if kind == "json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise AnswerValidationError(
            f"{question.name}={raw!r} is not {_KIND_NAMES.get(kind, kind)}",
            f"Give {question.name} {_KIND_NAMES.get(kind, kind)}, e.g. --data {question.name}=...",
        ) from exc
    if kind == "str" and not isinstance(raw, str):
        if isinstance(raw, bool | int | float):
            return str(raw)
        raise AnswerValidationError(f"{question.name} must be text, got {raw!r}", "Quote the value.")
    return raw


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError(raw)
    if isinstance(raw, int | float):
        return int(raw)
    return int(str(raw).strip(), 10)


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    return float(raw)


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(raw)
