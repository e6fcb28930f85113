"""The pydantic models of ``usecase.toml`` (every table refuses unknown keys) and the checks across tables.

Field-level rules live on the models; rules that relate tables (a derived feature reads only numeric,
non-personal inputs; every model feature has a reason sentence; thresholds are ordered...) are in
:func:`cross_check`, which returns each problem with the key it is about, so the loader can name its line.
"""

from __future__ import annotations

import keyword
import re
import string
from datetime import date
from functools import cached_property
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ._expr import Expression, ExpressionError, parse

InputType = Literal["number", "integer", "category", "boolean", "text", "date"]
ValidatorName = Literal["person_name", "phone_e164", "pan", "aadhaar", "ifsc", "email"]
Scalar = bool | int | float | str
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
_NUMERIC: frozenset[str] = frozenset({"number", "integer"})
_STRICT = ConfigDict(extra="forbid", frozen=True)
Problem = tuple[tuple[str | int, ...], str]


class UseCase(BaseModel):
    """``[use_case]``: what kind of decision this service takes, and the version of its API."""

    model_config = _STRICT

    kind: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    api_version: int = Field(ge=1, description="The major version of the API: /v<N>/score.")
    description: Annotated[str, StringConstraints(min_length=1)]
    request_model: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{0,62}$")] = "ScoringRequest"
    request_description: str = "One case to score."


class Input(BaseModel):
    """``[inputs.<name>]``: one field of the request (or, with ``in_request = false``, of the data only)."""

    model_config = _STRICT

    type: InputType
    description: Annotated[str, StringConstraints(min_length=1)]
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    categories: tuple[str, ...] | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None
    validator: ValidatorName | None = None
    required: bool = True
    default: Scalar | None = None
    personal: bool = False
    protected: bool = False
    in_request: bool = True
    examples: tuple[Scalar, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for problem in _input_problems(self):
            raise ValueError(problem)
        return self

    @property
    def lower(self) -> float | None:
        """The lowest value allowed (inclusive or not: see :attr:`exclusive_minimum`)."""
        return self.minimum if self.minimum is not None else self.exclusive_minimum

    @property
    def upper(self) -> float | None:
        """The highest value allowed (inclusive or not)."""
        return self.maximum if self.maximum is not None else self.exclusive_maximum


def _input_problems(spec: Input) -> list[str]:  # noqa: C901, PLR0912 -- one rule per line, read top to bottom
    found: list[str] = []
    bounds = (spec.minimum, spec.maximum, spec.exclusive_minimum, spec.exclusive_maximum)
    if spec.type not in _NUMERIC and any(b is not None for b in bounds):
        found.append(f"bounds apply to number and integer inputs, not {spec.type}")
    if spec.minimum is not None and spec.exclusive_minimum is not None:
        found.append("give minimum or exclusive_minimum, not both")
    if spec.maximum is not None and spec.exclusive_maximum is not None:
        found.append("give maximum or exclusive_maximum, not both")
    if spec.lower is not None and spec.upper is not None and spec.lower >= spec.upper:
        found.append("the lower bound must be below the upper bound")
    if spec.type == "integer" and any(b is not None and not float(b).is_integer() for b in bounds):
        found.append("the bounds of an integer input must be whole numbers")
    if spec.type == "category" and not spec.categories:
        found.append("a category input needs categories = [...]")
    if spec.categories is not None and spec.type != "category":
        found.append("categories apply to category inputs only")
    if spec.categories is not None and len(set(spec.categories)) != len(spec.categories):
        found.append("categories must be unique")
    text_only = (spec.min_length, spec.max_length, spec.pattern, spec.validator)
    if spec.type != "text" and any(x is not None for x in text_only):
        found.append("min_length, max_length, pattern and validator apply to text inputs only")
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            found.append(f"pattern is not a regular expression: {exc}")
    if spec.required and spec.default is not None:
        found.append("a required input has no default; set required = false to give one")
    if not spec.required and spec.default is None:
        found.append("an optional input (required = false) needs a default")
    if spec.protected and spec.personal is False and spec.in_request:
        found.append("a protected input sent in requests is personal data: set personal = true")
    found.extend(f"{label} {value!r}: {why}" for label, value, why in _bad_values(spec))
    return found


def _bad_values(spec: Input) -> list[tuple[str, Scalar, str]]:
    values = [("example", v) for v in spec.examples]
    if spec.default is not None:
        values.append(("default", spec.default))
    bad = []
    for label, value in values:
        why = value_problem(spec, value)
        if why:
            bad.append((label, value, why))
    return bad


def value_problem(spec: Input, value: Scalar) -> str | None:  # noqa: PLR0911 -- one check per type
    """Why ``value`` is not a valid value of the input ``spec`` (type, bounds, categories), or None."""
    if spec.type == "boolean":
        return None if isinstance(value, bool) else "is not a boolean"
    if spec.type in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "is not a number"
        if spec.type == "integer" and not isinstance(value, int):
            return "is not an integer"
        return _bound_problem(spec, float(value))
    if not isinstance(value, str):
        return "is not a string"
    if spec.type == "category":
        return None if value in (spec.categories or ()) else "is not one of the categories"
    if spec.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "is not a date (YYYY-MM-DD)"
    return None


def _bound_problem(spec: Input, value: float) -> str | None:
    if spec.minimum is not None and value < spec.minimum:
        return f"is below the minimum {spec.minimum:g}"
    if spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
        return f"is not above the exclusive minimum {spec.exclusive_minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"is above the maximum {spec.maximum:g}"
    if spec.exclusive_maximum is not None and value >= spec.exclusive_maximum:
        return f"is not below the exclusive maximum {spec.exclusive_maximum:g}"
    return None


class Derived(BaseModel):
    """``[derived.<name>]``: a feature computed from inputs by an expression."""

    model_config = _STRICT

    expression: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    description: Annotated[str, StringConstraints(min_length=1)]
    minimum: float | None = None
    maximum: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.minimum is not None and self.maximum is not None and self.minimum >= self.maximum:
            msg = "minimum must be below maximum"
            raise ValueError(msg)
        return self


class ModelSpec(BaseModel):
    """``[model]``: the artifact's name and its features, in order."""

    model_config = _STRICT

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
    features: tuple[str, ...] = Field(min_length=1)


class DecisionSpec(BaseModel):
    """``[outcome.decisions.<name>]``: taken below a threshold, above one, or in between (by a person)."""

    model_config = _STRICT

    below: float | None = Field(default=None, gt=0, lt=1)
    above: float | None = Field(default=None, gt=0, lt=1)
    human: bool = False
    description: Annotated[str, StringConstraints(min_length=1)]


class ReasonSpec(BaseModel):
    """``[outcome.reasons.features]`` entry: how a feature reads in a reason sentence."""

    model_config = _STRICT

    label: Annotated[str, StringConstraints(min_length=1)]
    format: str = "{:g}"
    shown_as: str | None = None


class Reasons(BaseModel):
    """``[outcome.reasons]``: the sentence templates and one entry per model feature."""

    model_config = _STRICT

    number_sentence: str
    category_sentence: str
    raises: str = "raised"
    lowers: str = "lowered"
    features: dict[str, ReasonSpec]


class Outcome(BaseModel):
    """``[outcome]``: what the model predicts, the decisions, review flags and reason sentences."""

    model_config = _STRICT

    predicts: Identifier
    label: str
    description: str
    favourable: str
    review_flags: tuple[str, ...] = ()
    decisions: dict[str, DecisionSpec]
    reasons: Reasons


class Contract(BaseModel):
    """The whole ``usecase.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    use_case: UseCase
    inputs: dict[str, Input] = Field(min_length=1)
    derived: dict[str, Derived] = Field(default_factory=dict)
    model: ModelSpec
    outcome: Outcome

    @cached_property
    def request_inputs(self) -> dict[str, Input]:
        """The inputs a client sends, in contract order."""
        return {name: spec for name, spec in self.inputs.items() if spec.in_request}

    @cached_property
    def expressions(self) -> dict[str, Expression]:
        """Each derived feature, parsed (the contract is checked, so they parse)."""
        allowed = derivable_inputs(self)
        return {name: parse(spec.expression, allowed) for name, spec in self.derived.items()}

    @cached_property
    def numeric_features(self) -> tuple[str, ...]:
        """Model features that are numbers (derived, number, integer, boolean), in order."""
        return tuple(f for f in self.model.features if f in self.derived or self.inputs[f].type != "category")

    @cached_property
    def categorical_features(self) -> dict[str, tuple[str, ...]]:
        """Model features that are categories, with their categories, in order."""
        return {
            f: self.inputs[f].categories or ()
            for f in self.model.features
            if f not in self.derived and self.inputs[f].type == "category"
        }

    @cached_property
    def personal_fields(self) -> frozenset[str]:
        """Inputs marked personal."""
        return frozenset(name for name, spec in self.inputs.items() if spec.personal)

    @cached_property
    def protected_attributes(self) -> tuple[str, ...]:
        """Inputs marked protected: measured for fairness, never model features."""
        return tuple(name for name, spec in self.inputs.items() if spec.protected)

    @cached_property
    def excluded(self) -> tuple[str, ...]:
        """Personal and protected inputs: never model features, nor read by derived features."""
        return tuple(name for name, spec in self.inputs.items() if spec.personal or spec.protected)

    @cached_property
    def decision_names(self) -> tuple[str, str, str]:
        """The low decision (below its threshold), the one in between, the high one (above its threshold)."""
        low = next(n for n, d in self.outcome.decisions.items() if d.below is not None)
        high = next(n for n, d in self.outcome.decisions.items() if d.above is not None)
        middle = next(n for n in self.outcome.decisions if n not in {low, high})
        return low, middle, high

    @property
    def thresholds(self) -> tuple[float, float]:
        """The default ``(below, above)`` thresholds of the low and high decisions."""
        low, _, high = self.decision_names
        below, above = self.outcome.decisions[low].below, self.outcome.decisions[high].above
        assert below is not None and above is not None  # noqa: S101 -- cross_check guarantees it
        return below, above


def derivable_inputs(contract: Contract) -> frozenset[str]:
    """Inputs a derived feature may read: numeric or boolean, sent in requests, neither personal nor protected."""
    return frozenset(
        name
        for name, spec in contract.inputs.items()
        if spec.type in {*_NUMERIC, "boolean"} and spec.in_request and not spec.personal and not spec.protected
    )


def cross_check(contract: Contract) -> list[Problem]:
    """The problems that span tables, each with the key (as a path) it is about."""
    return [
        *_name_problems(contract),
        *_derived_problems(contract),
        *_feature_problems(contract),
        *_decision_problems(contract),
        *_reason_problems(contract),
    ]


def _name_problems(contract: Contract) -> list[Problem]:
    found: list[Problem] = []
    for table, names in (("inputs", contract.inputs), ("derived", contract.derived)):
        found.extend(
            ((table, name), f"{name!r} is not a field name (lower_snake_case, not a keyword)")
            for name in names
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) or keyword.iskeyword(name)
        )
    found.extend(
        (("derived", name), f"{name!r} is both an input and a derived feature")
        for name in contract.derived
        if name in contract.inputs
    )
    return found


def _derived_problems(contract: Contract) -> list[Problem]:
    allowed = derivable_inputs(contract)
    found: list[Problem] = []
    for name, spec in contract.derived.items():
        try:
            parse(spec.expression, allowed)
        except ExpressionError as exc:
            found.append((("derived", name, "expression"), str(exc)))
    return found


def _feature_problems(contract: Contract) -> list[Problem]:
    found: list[Problem] = []
    features = contract.model.features
    if len(set(features)) != len(features):
        found.append((("model", "features"), "a feature is listed twice"))
    for index, name in enumerate(features):
        spec = contract.inputs.get(name)
        if name in contract.derived:
            continue
        if spec is None:
            found.append((("model", "features", index), f"{name!r} is neither an input nor a derived feature"))
        elif spec.personal or spec.protected:
            found.append((("model", "features", index), f"{name!r} is personal or protected: never a model feature"))
        elif not spec.in_request or spec.type in {"text", "date"}:
            found.append((("model", "features", index), f"{name!r} ({spec.type}) cannot be a model feature"))
    return found


def _decision_problems(contract: Contract) -> list[Problem]:
    outcome = contract.outcome
    decisions = outcome.decisions
    lows = [n for n, d in decisions.items() if d.below is not None]
    highs = [n for n, d in decisions.items() if d.above is not None]
    found: list[Problem] = []
    shape = "three decisions: one with `below`, one with `above`, one in between (neither)"
    if len(decisions) != 3 or len(lows) != 1 or len(highs) != 1 or set(lows) & set(highs):  # noqa: PLR2004
        return [(("outcome", "decisions"), f"give {shape}")]
    below, above = decisions[lows[0]].below, decisions[highs[0]].above
    if below is not None and above is not None and below >= above:
        found.append((("outcome", "decisions", lows[0], "below"), f"{below} must be lower than {above}"))
    middle = next(n for n in decisions if n not in {lows[0], highs[0]})
    if not decisions[middle].human:
        found.append((("outcome", "decisions", middle), "the decision in between is taken by a person: human = true"))
    if outcome.favourable not in decisions:
        found.append((("outcome", "favourable"), f"{outcome.favourable!r} is not one of the decisions"))
    for index, flag in enumerate(outcome.review_flags):
        spec = contract.request_inputs.get(flag)
        if spec is None or spec.type != "boolean":
            found.append((("outcome", "review_flags", index), f"{flag!r} is not a boolean input of the request"))
    return found


def _reason_problems(contract: Contract) -> list[Problem]:
    reasons = contract.outcome.reasons
    found: list[Problem] = [
        (("outcome", "reasons", "features"), f"no reason sentence for the model feature {name!r}")
        for name in contract.model.features
        if name not in reasons.features
    ]
    found.extend(
        (("outcome", "reasons", "features", name), f"{name!r} is not a model feature")
        for name in reasons.features
        if name not in contract.model.features
    )
    templates = {"number_sentence": reasons.number_sentence, "category_sentence": reasons.category_sentence}
    for key, template in templates.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        if not fields <= {"label", "value", "typical", "verb"}:
            found.append((("outcome", "reasons", key), "only {label}, {value}, {typical} and {verb} can be used"))
    for name, spec in reasons.features.items():
        try:
            spec.format.format(1.5)
            if spec.shown_as is not None:
                parse(spec.shown_as, frozenset({"value"}))
        except (ValueError, IndexError, KeyError) as exc:
            found.append((("outcome", "reasons", "features", name), f"format or shown_as: {exc}"))
    return found
