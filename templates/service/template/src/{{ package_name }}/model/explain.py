"""Exact per-decision explanations of the logistic-regression pipeline (reason codes).

For a linear model the log-odds of default split exactly into one term per feature:
``logit = base + sum_j coef_j * (z_j - mean_j)`` where ``z`` is the transformed input (scaled numbers,
one-hot categories), ``mean`` is its mean over the training rows and ``base = intercept + coef . mean``.
The one-hot columns of a categorical feature are added up, so each model feature gets one signed
contribution, and the contributions plus ``base`` give back the model's own logit.

The training means are rebuilt from the artifact's metadata: the seeded synthetic training data is
regenerated and checked against the data hash recorded at training time; the model is not retrained.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..contract import CONTRACT, ReasonSpec
from ..contract._expr import parse
from ..schemas import Explanation, Reason
from ..tracing import tracer
from .artifact import ModelLoadError, ScoringModel
from .data import digest, generate, split
from .features import FEATURES, NUMERIC, derive, to_matrix

Vector = npt.NDArray[np.float64]
_REASONS = CONTRACT.outcome.reasons
_VALUE = frozenset({"value"})
_BACKGROUND: dict[str, Vector] = {}


def show(spec: ReasonSpec, value: float) -> str:
    """A feature's value as a reason sentence shows it: ``shown_as``, then ``format``, without a trailing ".0"."""
    shown = parse(spec.shown_as, _VALUE)({"value": value}) if spec.shown_as else value
    return spec.format.format(shown).removesuffix(".0")


class Explainer:
    """Scores and explains one application with a single pass through the fitted pipeline."""

    def __init__(self, model: ScoringModel, background: Vector, top: int = 4) -> None:
        self.model = model
        self.top = top
        self._columns = model.pipeline.named_steps["features"]
        self._classifier = model.pipeline.named_steps["classifier"]
        self._coef: Vector = self._classifier.coef_[0]
        self._background = background
        self._groups = _feature_of_each_column(self._columns)
        self.base_log_odds = float(self._classifier.intercept_[0] + self._coef @ background)
        self._typical = dict(zip(NUMERIC, self._columns.named_transformers_["numeric"].mean_, strict=True))

    def explain(self, record: Mapping[str, Any]) -> tuple[float, Explanation]:
        """The probability of default and its explanation (every contribution, and the top reasons)."""
        with tracer.start_as_current_span("model.predict", attributes={"explained": True}):
            return self._explain(record)

    def _explain(self, record: Mapping[str, Any]) -> tuple[float, Explanation]:
        transformed = self._columns.transform(to_matrix([record]))
        probability = float(self._classifier.predict_proba(transformed)[0, 1])
        per_column = self._coef * (transformed[0].astype(np.float64) - self._background)
        per_feature = np.zeros(len(FEATURES))
        np.add.at(per_feature, self._groups, per_column)
        values = derive(record)
        order = sorted(range(len(FEATURES)), key=lambda i: -abs(per_feature[i]))
        reasons = [self._reason(FEATURES[i], values[i], float(per_feature[i])) for i in order[: self.top]]
        explanation = Explanation(
            base_log_odds=self.base_log_odds,
            log_odds=self.base_log_odds + math.fsum(per_feature),
            contributions={name: float(c) for name, c in zip(FEATURES, per_feature, strict=True)},
            reasons=reasons,
        )
        return probability, explanation

    def _reason(self, feature: str, value: float | str, contribution: float) -> Reason:
        """The reason code of one feature, worded by ``[outcome.reasons]`` of the contract."""
        verb = _REASONS.raises if contribution > 0 else _REASONS.lowers
        spec = _REASONS.features[feature]
        if isinstance(value, str):
            sentence = _REASONS.category_sentence.format(label=spec.label, value=value, typical="", verb=verb)
        else:
            typical = show(spec, float(self._typical[feature]))
            sentence = _REASONS.number_sentence.format(
                label=spec.label, value=show(spec, value), typical=typical, verb=verb
            )
        effect = "raises_risk" if contribution > 0 else "lowers_risk"
        return Reason(feature=feature, value=value, contribution=contribution, effect=effect, sentence=sentence)


def _feature_of_each_column(columns: Any) -> npt.NDArray[np.intp]:
    """For each transformed column, the index (in FEATURES) of the model feature it comes from."""
    groups: list[int] = []
    for name, transformer, indices in columns.transformers_:
        if name == "categorical":
            for index, categories in zip(indices, transformer.categories_, strict=True):
                groups.extend([index] * len(categories))
        elif name != "remainder":
            groups.extend(indices)
    return np.array(groups, dtype=np.intp)


def explainer_for(model: ScoringModel, metadata_path: Path, top: int = 4) -> Explainer:
    """An :class:`Explainer` for ``model``, with the training means rebuilt from its metadata."""
    training = training_record(metadata_path)
    key = f"{model.sha256}:{json.dumps(training, sort_keys=True)}"
    if key not in _BACKGROUND:
        _BACKGROUND[key] = training_means(model, training)
    return Explainer(model, _BACKGROUND[key], top)


def training_record(metadata_path: Path) -> dict[str, Any]:
    """The ``training`` section of the artifact's metadata: seed, rows, held-out share, data hash."""
    try:
        training: dict[str, Any] = json.loads(metadata_path.read_text(encoding="utf-8"))["training"]
        int(training["rows"]), int(training["seed"]), float(training["holdout_fraction"]), training["data_sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{metadata_path} does not say how the model was trained: {exc}") from exc
    return training


def training_means(model: ScoringModel, training: Mapping[str, Any]) -> Vector:
    """Mean of each transformed column over the training rows (regenerated and hash-checked)."""
    rows, seed, holdout = int(training["rows"]), int(training["seed"]), float(training["holdout_fraction"])
    data = generate(rows, seed)
    if digest(data) != training["data_sha256"]:
        msg = "the training data recorded in the model's metadata cannot be rebuilt; explanations need its means"
        raise ModelLoadError(msg)
    rows_used = split(rows, seed, holdout).train
    transformed = model.pipeline.named_steps["features"].transform(to_matrix([data.records[i] for i in rows_used]))
    means: Vector = np.asarray(transformed, dtype=np.float64).mean(axis=0)
    return means
