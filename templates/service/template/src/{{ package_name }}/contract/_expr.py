"""A small, safe expression language for derived features (and for how a reason shows a value).

An expression is parsed once with :mod:`ast` and compiled into nested closures; nothing is ever passed to
``eval``. Allowed: numbers, names (inputs of the contract, or ``value`` in a reason's ``shown_as``),
``+ - * /``, unary ``-``/``+``, parentheses and the functions in :data:`FUNCTIONS`. Anything else (an
attribute, a subscript, a comparison, ``**``, a keyword argument, an unknown function) is refused with a
message naming it.

Evaluation is in double precision; a result that is infinite or NaN, a division by zero or a function
outside its domain raises :class:`NotFinite`, so a derived feature is finite or not computed at all.

Only pydantic and the standard library are needed to parse and check a contract (numpy is imported when
an expression is evaluated), so tools such as the factory can validate a contract without the service's
dependencies.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from types import ModuleType

Evaluator = Callable[[Mapping[str, float]], float]


def _minimum(*values: float) -> float:
    return min(values)


def _maximum(*values: float) -> float:
    return max(values)


@cache
def _numpy() -> ModuleType:
    import numpy  # imported on first evaluation only (see the module docstring)

    return numpy


# numpy's ufuncs, not math's: the shipped model was trained with np.log1p, and the same bits must come out.
FUNCTIONS: dict[str, tuple[Callable[..., float], int | None]] = {
    "log1p": (lambda x: float(_numpy().log1p(x)), 1),
    "log": (lambda x: float(_numpy().log(x)), 1),
    "exp": (lambda x: float(_numpy().exp(x)), 1),
    "expm1": (lambda x: float(_numpy().expm1(x)), 1),
    "sqrt": (lambda x: float(_numpy().sqrt(x)), 1),
    "abs": (abs, 1),
    "min": (_minimum, None),
    "max": (_maximum, None),
}
_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class ExpressionError(ValueError):
    """The text is not an expression of the language; the message says what is not allowed."""


class NotFinite(ArithmeticError):  # noqa: N818 -- reads as the outcome it reports
    """The expression has no finite value for these inputs."""


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the names it reads, and how to evaluate it."""

    text: str
    names: tuple[str, ...]
    _evaluate: Evaluator

    def __call__(self, values: Mapping[str, float]) -> float:
        """The finite value for ``values`` (a mapping with every name), or :class:`NotFinite`."""
        with checked():
            return self.evaluate(values)

    def evaluate(self, values: Mapping[str, float]) -> float:
        """As calling it, inside a :func:`checked` block (one block for many expressions is cheaper)."""
        try:
            result = self._evaluate(values)
        except (ArithmeticError, ValueError) as exc:  # FloatingPointError is an ArithmeticError
            raise NotFinite(str(exc)) from exc
        if not math.isfinite(result):
            raise NotFinite(f"{self.text} is {result}")
        return result


def checked() -> AbstractContextManager[object]:
    """numpy raises instead of warning on a division by zero, an overflow or an invalid operation."""
    errstate: AbstractContextManager[object] = _numpy().errstate(
        divide="raise", over="raise", invalid="raise", under="ignore"
    )
    return errstate


def parse(text: str, allowed_names: frozenset[str]) -> Expression:
    """Parse ``text``; every name must be in ``allowed_names``. Raises :class:`ExpressionError`."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"{text!r} is not an expression: {exc.msg}") from exc
    names: list[str] = []
    evaluate = _compile(tree.body, allowed_names, names)
    return Expression(text, tuple(dict.fromkeys(names)), evaluate)


def _compile(node: ast.expr, allowed: frozenset[str], names: list[str]) -> Evaluator:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        number = float(node.value)
        return lambda _: number
    if isinstance(node, ast.Name):
        return _name(node.id, allowed, names)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        operator = _OPERATORS[type(node.op)]
        left, right = _compile(node.left, allowed, names), _compile(node.right, allowed, names)
        return lambda v: operator(left(v), right(v))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _compile(node.operand, allowed, names)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda v: sign * operand(v)
    if isinstance(node, ast.Call):
        return _call(node, allowed, names)
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed (numbers, names, + - * /, and {', '.join(FUNCTIONS)})")


def _name(name: str, allowed: frozenset[str], names: list[str]) -> Evaluator:
    if name not in allowed:
        known = ", ".join(sorted(allowed)) or "none"
        raise ExpressionError(f"{name!r} is not a numeric input (known: {known})")
    names.append(name)
    return lambda v: float(v[name])


def _call(node: ast.Call, allowed: frozenset[str], names: list[str]) -> Evaluator:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
        raise ExpressionError(f"{ast.unparse(node)!r}: only {', '.join(FUNCTIONS)} can be called, without keywords")
    function, arity = FUNCTIONS[node.func.id]
    if (arity is not None and len(node.args) != arity) or not node.args:
        raise ExpressionError(f"{ast.unparse(node)!r}: {node.func.id} takes {arity or 'at least one'} argument(s)")
    arguments = [_compile(arg, allowed, names) for arg in node.args]
    return lambda v: function(*(argument(v) for argument in arguments))
