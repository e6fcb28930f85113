"""One implementation of :class:`.artifact.ScoringModel` per family, chosen by the artifact's metadata."""

from __future__ import annotations

from collections.abc import Callable

from .artifact import Family, Loaded, ScoringModel

Loader = Callable[[bytes, Loaded], ScoringModel]


def loader(family: Family) -> Loader:
    """The function that builds a ``family`` model from verified bytes (imports only that family's library)."""
    if family == "sklearn":
        from .sklearn_model import load_sklearn

        return load_sklearn
    if family == "xgboost":
        from .boosters import load_xgboost

        return load_xgboost
    if family == "lightgbm":
        from .boosters import load_lightgbm

        return load_lightgbm
    from .onnx_model import load_onnx

    return load_onnx
