"""Write ``_generated.py``: the typed request model of the contract, so mypy --strict sees real types.

Why code generation and not a model built at start-up: a model made with ``pydantic.create_model`` is
``type[BaseModel]`` to mypy, so every ``applicant.monthly_income`` would be unchecked (or need a cast).
The generated module is committed, reviewed in pull requests like any code, and ``contract check``
(run by ``make lint``) fails when it no longer matches ``usecase.toml``. The output is already in
ruff's format (every call exploded with a trailing comma), so ``ruff format`` leaves it unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._load import ContractError
from ._schema import Contract, Input

GENERATED = Path(__file__).with_name("_generated.py")
_PYTHON_TYPES = {"number": "float", "integer": "int", "boolean": "bool", "text": "str", "date": "datetime.date"}
_HEADER = '''"""Generated from {source} by `contract generate` (`make contract`): do not edit by hand.

The request model of the use case "{name}" (API v{api}), its category and decision types, and the
contract's text (``SOURCE``), which the service validates and serves from at start-up.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ._derive import require_finite
from .validators import VALIDATORS

SOURCE = r"""{text}"""
'''


def render(contract: Contract, text: str, source: str = "usecase.toml") -> str:
    """The Python source of ``_generated.py`` for ``contract`` (parsed from ``text``)."""
    if '"""' in text or text.endswith(("\\", '"')):
        msg = f'{source}: the contract must not contain three double quotes in a row nor end in \\ or "'
        raise ContractError(msg)
    use_case = contract.use_case
    parts = [_HEADER.format(source=source, name=use_case.name, api=use_case.api_version, text=text)]
    parts.extend(
        _literal(_alias(name), spec.categories or ())
        for name, spec in contract.request_inputs.items()
        if spec.type == "category"
    )
    parts.append(_literal("Decision", contract.decision_names))
    return "\n".join(parts) + "\n\n" + _request_model(contract) + f"\n\n\nScoringRequest = {use_case.request_model}\n"


def _alias(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _literal(alias: str, values: tuple[str, ...]) -> str:
    inner = "".join(f"    {_string(v)},\n" for v in values)
    return f"{alias} = Literal[\n{inner}]"


def _request_model(contract: Contract) -> str:
    use_case = contract.use_case
    lines = [
        "",
        f"class {use_case.request_model}(BaseModel):",
        f"    {_docstring(use_case.request_description)}",
        "",
        '    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)',
        "",
    ]
    for name, spec in contract.request_inputs.items():
        lines.extend(_field(name, spec))
    lines.extend(
        [
            "",
            '    @model_validator(mode="after")',
            "    def _derived_features_are_finite(self) -> Self:",
            '        """Refuse inputs that make a derived feature infinite or undefined (422 naming them)."""',
            "        require_finite(self.model_dump())",
            "        return self",
        ]
    )
    return "\n".join(lines)


def _field(name: str, spec: Input) -> list[str]:
    python_type = _alias(name) if spec.type == "category" else _PYTHON_TYPES[spec.type]
    arguments = [f"{key}={value}" for key, value in _constraints(spec)]
    lines = [f"    {name}: Annotated[", f"        {python_type},", "        Field("]
    lines.extend(f"            {argument}," for argument in arguments)
    lines.append("        ),")
    if spec.validator is not None:
        lines.append(f"        AfterValidator(VALIDATORS[{_string(spec.validator)}]),")
    default = "" if spec.required else f" = {_value(spec.default)}"
    lines.append(f"    ]{default}")
    return lines


def _constraints(spec: Input) -> list[tuple[str, str]]:
    found = [("description", _string(spec.description))]
    for key, value in (
        ("gt", spec.exclusive_minimum),
        ("ge", spec.minimum),
        ("lt", spec.exclusive_maximum),
        ("le", spec.maximum),
        ("min_length", spec.min_length),
        ("max_length", spec.max_length),
    ):
        if value is not None:
            found.append((key, _number(value, integer=spec.type == "integer" or key.endswith("length"))))
    if spec.pattern is not None:
        found.append(("pattern", _string(spec.pattern)))
    if spec.examples:
        found.append(("examples", "[" + ", ".join(_value(v) for v in spec.examples) + "]"))
    extra = {"x-personal": spec.personal, "x-protected": spec.protected, "x-unit": spec.unit}
    marks = {key: value for key, value in extra.items() if value}
    if marks:
        pairs = ", ".join(f"{_string(key)}: {_value(value)}" for key, value in marks.items())
        found.append(("json_schema_extra", "{" + pairs + "}"))
    return found


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _number(value: float, *, integer: bool) -> str:
    if integer or (float(value).is_integer() and abs(value) < 1e15):  # noqa: PLR2004
        return str(int(value))
    return repr(float(value))


def _value(value: bool | int | float | str | None) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    return _number(value, integer=isinstance(value, int))
