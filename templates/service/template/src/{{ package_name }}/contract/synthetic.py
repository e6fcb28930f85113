"""Seeded requests drawn from the contract alone: inside every bound and category, every derived feature
finite and inside its bounds. For smoke predictions (a model checked against the contract), fuzzing and
examples; not a training set: a kind's training data also needs its signal (see ``model/data.py``).

Numbers spread log-normally around the input's first example (uniformly between the bounds when it has
none), clipped into the bounds; categories are uniform; booleans are true one time in ten; text and date
inputs take their examples in turn. Rows whose derived features fail are drawn again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._derive import DerivationError, derived_values
from ._schema import Contract, Input

_ATTEMPTS = 100
_SPREAD = 1.0  # sigma of the log-normal spread around an example
_UNBOUNDED = 1e6


def sample_records(contract: Contract, rows: int, seed: int) -> list[dict[str, Any]]:
    """``rows`` request bodies valid for the contract's request model, the same for the same ``seed``."""
    rng = np.random.default_rng(seed)
    records = []
    for row in range(rows):
        for _ in range(_ATTEMPTS):
            record = {name: _value(spec, rng, row) for name, spec in contract.request_inputs.items()}
            try:
                derived_values(contract, record)
            except DerivationError:
                continue
            records.append(record)
            break
        else:
            msg = f"no valid row in {_ATTEMPTS} draws: the contract's bounds leave no room for its derived features"
            raise ValueError(msg)
    return records


def _value(spec: Input, rng: np.random.Generator, row: int) -> Any:
    if spec.type == "category":
        categories = spec.categories or ()
        return str(categories[int(rng.integers(len(categories)))])
    if spec.type == "boolean":
        return bool(rng.uniform() < 0.1)  # noqa: PLR2004
    if spec.type in {"text", "date"}:
        examples = [e for e in spec.examples if isinstance(e, str)] or ["x"]
        return examples[row % len(examples)]
    return _number(spec, rng)


def _number(spec: Input, rng: np.random.Generator) -> float | int:
    low = spec.lower if spec.lower is not None else -_UNBOUNDED
    high = spec.upper if spec.upper is not None else _UNBOUNDED
    example = next((float(e) for e in spec.examples if isinstance(e, int | float) and not isinstance(e, bool)), None)
    if example is not None and example > 0:
        value = example * float(rng.lognormal(0.0, _SPREAD))
    else:
        value = float(rng.uniform(low, high))
    if spec.type == "integer":
        first = int(np.ceil(low)) + (spec.exclusive_minimum is not None and float(low).is_integer())
        last = int(np.floor(high)) - (spec.exclusive_maximum is not None and float(high).is_integer())
        return int(min(max(round(value), first), last))
    value = min(max(value, low), high)
    if (spec.exclusive_minimum is not None and value <= low) or (spec.exclusive_maximum is not None and value >= high):
        value = (low + high) / 2
    return value
