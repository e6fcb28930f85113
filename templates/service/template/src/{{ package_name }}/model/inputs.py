"""The model's inputs as each family sees them, and the check that a model expects exactly those.

Tree libraries and ONNX take numbers: a categorical feature becomes the index of its value in
``CATEGORICAL[name]`` (declared categorical to XGBoost and LightGBM). scikit-learn pipelines take the
object matrix of :func:`.features.to_matrix`, or a DataFrame with those columns when they were fitted on one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .artifact import ModelLoadError
from .features import CATEGORICAL, FEATURES, NUMERIC, to_matrix

Kind = Literal["number", "category"]
EXPECTED: dict[str, Kind] = {name: ("number" if name in NUMERIC else "category") for name in FEATURES}


def codes(matrix: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """``matrix`` (FEATURES order) with each category replaced by its index in ``CATEGORICAL``."""
    out = np.empty(matrix.shape, dtype=np.float64)
    for column, name in enumerate(FEATURES):
        if name in CATEGORICAL:
            index = {value: i for i, value in enumerate(CATEGORICAL[name])}
            out[:, column] = [index.get(str(v), np.nan) for v in matrix[:, column]]
        else:
            out[:, column] = matrix[:, column].astype(np.float64)
    return out


def encoded(records: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
    """Raw application records as the numeric matrix of :func:`codes`."""
    return codes(to_matrix(records))


def check_inputs(declared: Mapping[str, Kind | None], model: str) -> None:
    """Refuse ``model`` unless it declares exactly the service's features with their kinds.

    ``declared`` maps the model's input names to their kind (None when the format does not say).
    """
    missing = [name for name in FEATURES if name not in declared]
    extra = [name for name in declared if name not in EXPECTED]
    retyped = [
        f"{name} (model: {kind}, service: {EXPECTED[name]})"
        for name, kind in declared.items()
        if name in EXPECTED and kind is not None and kind != EXPECTED[name]
    ]
    problems = [
        f"{label} {', '.join(items)}"
        for label, items in (("missing", missing), ("extra", extra), ("retyped", retyped))
        if items
    ]
    if problems:
        msg = f"{model}'s inputs do not match the service's features: {'; '.join(problems)}"
        raise ModelLoadError(msg)
    if list(declared) != list(FEATURES):
        order = ", ".join(declared)
        raise ModelLoadError(f"{model} takes the features in another order ({order}); expected {', '.join(FEATURES)}")


def logit(probability: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Log-odds of ``probability``, clipped away from 0 and 1 so it stays finite."""
    p = np.clip(np.asarray(probability, dtype=np.float64), 1e-15, 1 - 1e-15)
    result: npt.NDArray[np.float64] = np.log(p) - np.log1p(-p)
    return result
