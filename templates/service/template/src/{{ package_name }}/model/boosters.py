"""Gradient-boosted trees in their own safe formats: XGBoost JSON/UBJ and LightGBM text.

Both formats are data (no pickling). The model must be a binary classifier on the service's features with
the categorical ones declared categorical (see :mod:`.inputs` for the encoding). Explanations are exact
TreeSHAP from the libraries themselves (XGBoost ``pred_contribs``, LightGBM ``pred_contrib``): one value per
feature plus the expected value, adding up to the raw margin (log-odds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tracing import tracer
from .artifact import Attribution, Loaded, ModelLoadError, Vector
from .features import FEATURES
from .inputs import Kind, check_inputs, encoded

_XGB_KINDS: dict[str, Kind] = {"q": "number", "float": "number", "int": "number", "i": "number", "c": "category"}


def load_xgboost(payload: bytes, loaded: Loaded) -> XGBoostModel:
    """An XGBoost booster from its JSON or UBJ bytes (the format is told by the first byte)."""
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(payload))
    booster.set_param({"nthread": 1})  # one request, one core: the service runs requests in parallel
    objective = _xgb_objective(booster)
    if objective != "binary:logistic":
        raise ModelLoadError(f"{loaded.name} has objective {objective!r}; the service needs binary:logistic")
    names = booster.feature_names or []
    types: list[str | None] = list(booster.feature_types or [])
    types += [None] * (len(names) - len(types))
    check_inputs(
        {n: _XGB_KINDS.get(t or "") for n, t in zip(names, types, strict=True)}, f"the XGBoost model {loaded.name}"
    )
    return XGBoostModel(loaded.identity, loaded.background, booster)


def _xgb_objective(booster: Any) -> str:
    import json

    config = json.loads(booster.save_config())
    return str(config["learner"]["objective"]["name"])


@dataclass(frozen=True)
class XGBoostModel(Loaded):
    """A verified XGBoost booster."""

    booster: Any

    def _matrix(self, records: Sequence[Mapping[str, Any]]) -> Any:
        import xgboost as xgb

        return xgb.DMatrix(
            encoded(records),
            feature_names=list(FEATURES),
            feature_types=self.booster.feature_types,
            enable_categorical=True,
        )

    def predict(self, record: Mapping[str, Any]) -> float:
        """The probability of default of one application."""
        with tracer.start_as_current_span("model.predict"):
            return float(self.predict_many([record])[0])

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """The probability of default of many applications."""
        return np.asarray(self.booster.predict(self._matrix(records)), dtype=np.float64)

    def explain(self, record: Mapping[str, Any]) -> Attribution:
        """Exact TreeSHAP (XGBoost's ``pred_contribs``) on the log-odds."""
        with tracer.start_as_current_span("model.predict", attributes={"explained": True}):
            contribs = np.asarray(self.booster.predict(self._matrix([record]), pred_contribs=True), dtype=np.float64)[0]
            return _attribution(contribs)


def load_lightgbm(payload: bytes, loaded: Loaded) -> LightGBMModel:
    """A LightGBM booster from its text model."""
    import lightgbm as lgb

    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelLoadError(
            f"{loaded.name} is not a LightGBM text model (save it with booster.save_model('m.txt'))"
        ) from exc
    booster = lgb.Booster(model_str=text)
    dump = booster.dump_model(num_iteration=0)
    objective = (str(dump.get("objective") or "").split() or [""])[0]
    if objective not in {"binary", "cross_entropy", "xentropy"}:
        raise ModelLoadError(f"{loaded.name} has objective {objective!r}; the service needs binary")
    infos = dump.get("feature_infos", {})
    kinds: dict[str, Kind | None] = {}
    for name in booster.feature_name():
        values = infos.get(name, {}).get("values")
        kinds[name] = "category" if values else "number"
    check_inputs(kinds, f"the LightGBM model {loaded.name}")
    return LightGBMModel(loaded.identity, loaded.background, booster)


@dataclass(frozen=True)
class LightGBMModel(Loaded):
    """A verified LightGBM booster."""

    booster: Any

    def predict(self, record: Mapping[str, Any]) -> float:
        """The probability of default of one application."""
        with tracer.start_as_current_span("model.predict"):
            return float(self.predict_many([record])[0])

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """The probability of default of many applications."""
        return np.asarray(self.booster.predict(encoded(records), num_threads=1), dtype=np.float64)

    def explain(self, record: Mapping[str, Any]) -> Attribution:
        """Exact TreeSHAP (LightGBM's ``pred_contrib``) on the log-odds."""
        with tracer.start_as_current_span("model.predict", attributes={"explained": True}):
            contribs = np.asarray(
                self.booster.predict(encoded([record]), pred_contrib=True, num_threads=1), dtype=np.float64
            )[0]
            return _attribution(contribs)


def _attribution(contribs: Vector) -> Attribution:
    """Per-feature values then the expected value (both libraries' layout) as an :class:`Attribution`."""
    per_feature, base = contribs[:-1], float(contribs[-1])
    log_odds = base + float(np.sum(per_feature))
    return Attribution(float(1 / (1 + np.exp(-log_odds))), log_odds, base, per_feature, "tree_shap")
