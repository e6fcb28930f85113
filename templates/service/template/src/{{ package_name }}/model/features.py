"""The model's input features: one definition shared by training and serving, read from the contract.

``[model] features`` in ``usecase.toml`` lists them; a name there is a derived feature (``[derived]``,
computed by :func:`~..contract.derived_values`, always finite) or an input. Numbers come first, then
categories, each with the categories the contract allows. Personal and protected inputs are never features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..contract import CONTRACT, derived_values

NUMERIC: tuple[str, ...] = CONTRACT.numeric_features
CATEGORICAL: dict[str, tuple[str, ...]] = dict(CONTRACT.categorical_features)
FEATURES: tuple[str, ...] = (*NUMERIC, *CATEGORICAL)
# Personal data and the protected attributes are never features (the contract refuses them as features).
EXCLUDED: tuple[str, ...] = CONTRACT.excluded
_DERIVED = frozenset(CONTRACT.derived)


def derive(record: Mapping[str, Any]) -> list[Any]:
    """One row of model input from raw fields (same code for training and serving).

    Raises :class:`~..contract.DerivationError` (a ``ValueError`` naming the inputs) when a derived
    feature would not be finite; the request model refuses such requests first (422).
    """
    derived = derived_values(CONTRACT, record) if _DERIVED else {}
    return [
        *(derived[name] if name in _DERIVED else float(record[name]) for name in NUMERIC),
        *(str(record[name]) for name in CATEGORICAL),
    ]


def to_matrix(records: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.object_]:
    """A 2-D object array (numeric and categorical columns) in :data:`FEATURES` order."""
    return np.array([derive(r) for r in records], dtype=object).reshape(len(records), len(FEATURES))
