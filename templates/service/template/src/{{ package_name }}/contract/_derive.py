"""Derived features, computed in one place for training, serving and the request model's check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._expr import NotFinite, checked

if TYPE_CHECKING:
    from ._schema import Contract


class DerivationError(ValueError):
    """A derived feature has no finite value in its range for these inputs; ``fields`` are the inputs it reads."""

    def __init__(self, feature: str, expression: str, fields: tuple[str, ...], why: str) -> None:
        self.feature, self.fields = feature, fields
        super().__init__(
            f"{', '.join(fields)}: together they give the derived feature {feature} = {expression} {why}; "
            "send values in a realistic range"
        )


def derived_values(contract: Contract, record: Mapping[str, Any]) -> dict[str, float]:
    """Every derived feature of ``record``; raises :class:`DerivationError` for the first non-finite one."""
    values: dict[str, float] = {}
    with checked():
        for name, expression in contract.expressions.items():
            try:
                values[name] = expression.evaluate(record)
            except NotFinite as exc:
                why = "a value that is not a finite number"
                raise DerivationError(name, expression.text, expression.names, why) from exc
    for name, value in values.items():
        spec, expression = contract.derived[name], contract.expressions[name]
        if spec.minimum is not None and value < spec.minimum:
            raise DerivationError(name, expression.text, expression.names, f"a value below {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise DerivationError(name, expression.text, expression.names, f"a value above {spec.maximum:g}")
    return values


def require_finite(record: Mapping[str, Any]) -> None:
    """The request model's check: raises :class:`DerivationError` (a ``ValueError``: pydantic makes it a 422)."""
    from . import CONTRACT

    derived_values(CONTRACT, record)
