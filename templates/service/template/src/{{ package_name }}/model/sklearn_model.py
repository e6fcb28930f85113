"""scikit-learn pipelines saved with skops: loaded from an allow-list of types, never unpickled.

skops rebuilds objects type by type and refuses any type it is not told to trust. The trusted types are
the artifact's own types that are in :data:`ALLOWED` (standard scikit-learn preprocessing and estimators,
NumPy arrays and dtypes); anything else (a custom class, a function, ``builtins.eval``...) refuses the load.

Explanations, all exact and all on the log-odds, for a [ColumnTransformer, classifier] pipeline: a linear
classifier gets coefficient x distance from the training mean; HistGradientBoosting and GradientBoosting
get path-dependent TreeSHAP (:mod:`.treeshap`); one-hot columns are added up per feature. Any other
estimator (random forests, whose margin is a probability, SVMs...) gets exact interventional Shapley
values (:mod:`.shapley`) against the background stored in the metadata, which costs more per request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from ..tracing import tracer
from .artifact import Attribution, Loaded, ModelLoadError, Vector
from .features import FEATURES, NUMERIC, to_matrix
from .inputs import Kind, check_inputs, logit
from .shapley import shapley_values
from .treeshap import Ensemble, ensemble_of

_PREFIXES = (
    "sklearn.compose.",
    "sklearn.pipeline.",
    "sklearn.preprocessing.",
    "sklearn.impute.",
    "sklearn.linear_model.",
    "sklearn.ensemble.",
    "sklearn.tree.",
    "sklearn.svm.",
    "sklearn.neighbors.",
    "sklearn.naive_bayes.",
    "sklearn.calibration.",
    "sklearn.dummy.",
    "sklearn._loss.",
)
ALLOWED = (
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.bool_",
    "numpy.str_",
    "numpy.random._mt19937.MT19937",
    "numpy.random.mtrand.RandomState",
    "builtins.slice",
    "collections.OrderedDict",
)
# Types under the allowed prefixes that call a function the artifact names: never trusted.
_DENIED = (
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.compose._target.TransformedTargetRegressor",
)


def is_allowed(type_name: str) -> bool:
    """True when ``type_name`` is a standard scikit-learn or NumPy type the service trusts."""
    if type_name in _DENIED:
        return False
    return type_name in ALLOWED or type_name.startswith(_PREFIXES)


def trusted_types(payload: bytes) -> list[str]:
    """The artifact's types that need trusting, all allowed; :class:`ModelLoadError` naming any that is not."""
    needed = sorted(skops.io.get_untrusted_types(data=payload))
    refused = [name for name in needed if not is_allowed(name)]
    if refused:
        raise ModelLoadError(f"the artifact contains types that are not trusted: {', '.join(refused)}")
    return needed


def load_sklearn(payload: bytes, loaded: Loaded) -> SklearnModel:
    """A scikit-learn pipeline from skops bytes (allow-listed types only)."""
    pipeline = skops.io.loads(payload, trusted=trusted_types(payload))
    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline, "predict_proba"):
        raise ModelLoadError(f"the artifact holds a {type(pipeline).__name__}, not a classifier Pipeline")
    check_inputs(declared_inputs(pipeline), f"the pipeline {loaded.name}")
    if getattr(pipeline, "feature_names_in_", None) is not None:
        import pandas  # noqa: F401 -- a DataFrame pipeline cannot predict without it: fail at load, not per request
    return SklearnModel(loaded.identity, loaded.background, pipeline)


def declared_inputs(pipeline: Pipeline) -> dict[str, Kind | None]:
    """The pipeline's input names (when fitted on a DataFrame; else FEATURES by position) and kinds."""
    names = getattr(pipeline, "feature_names_in_", None)
    count = getattr(pipeline, "n_features_in_", len(FEATURES))
    if names is None:
        if count != len(FEATURES):
            msg = (
                f"the pipeline takes {count} unnamed inputs, not the service's {len(FEATURES)} ({', '.join(FEATURES)})"
            )
            raise ModelLoadError(msg)
        names = FEATURES
    kinds: dict[str, Kind | None] = dict.fromkeys((str(n) for n in names), None)
    first = pipeline.steps[0][1]
    if isinstance(first, ColumnTransformer):
        for _, transformer, columns in first.transformers_:
            if isinstance(transformer, str):
                continue
            kind: Kind = "category" if hasattr(transformer, "categories_") else "number"
            for column in _column_names(columns, list(kinds)):
                kinds[column] = kind
    return kinds


def _column_names(columns: Any, names: list[str]) -> list[str]:
    selected = [columns] if isinstance(columns, str | int) else list(columns)
    return [names[c] if isinstance(c, int | np.integer) else str(c) for c in selected]


@dataclass(frozen=True)
class SklearnModel(Loaded):
    """A verified scikit-learn pipeline."""

    pipeline: Pipeline
    _linear: _Linear | None = field(init=False, default=None)
    _trees: _Trees | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_linear", _Linear.of(self.pipeline, self.background.column_means))
        object.__setattr__(self, "_trees", _Trees.of(self.pipeline))

    def _frame(self, matrix: npt.NDArray[np.object_]) -> Any:
        return pipeline_input(self.pipeline, matrix)

    def _proba(self, matrix: npt.NDArray[np.object_]) -> Vector:
        result: Vector = np.asarray(self.pipeline.predict_proba(self._frame(matrix))[:, 1], dtype=np.float64)
        return result

    def predict(self, record: Mapping[str, Any]) -> float:
        """The probability of default of one application."""
        with tracer.start_as_current_span("model.predict"):
            if self._trees is not None:  # scikit-learn's own per-row path costs ~15 ms a tree in OpenMP overhead
                return self._trees.probability(self.pipeline, self._frame(to_matrix([record])))
            return float(self._proba(to_matrix([record]))[0])

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """The probability of default of many applications."""
        return self._proba(to_matrix(records))

    def explain(self, record: Mapping[str, Any]) -> Attribution:
        """Exact contributions: linear log-odds when the pipeline is linear, else interventional Shapley."""
        with tracer.start_as_current_span("model.predict", attributes={"explained": True}):
            row = to_matrix([record])
            if self._linear is not None:
                return self._linear.explain(self.pipeline, self._frame(row))
            if self._trees is not None:
                return self._trees.explain(self.pipeline, self._frame(row))
            background = np.array(self.background.rows, dtype=object)
            if not len(background):
                raise ModelLoadError(f"{self.name} has no explainer background in its metadata")
            base, value, contributions = shapley_values(row[0], background, lambda m: logit(self._proba(m)))
            probability = float(self._proba(row)[0])
            return Attribution(probability, value, base, contributions, "interventional_shapley")


@dataclass(frozen=True)
class _Linear:
    """What the exact linear explanation needs: coefficients, training column means, column-to-feature map."""

    coef: Vector
    means: Vector
    groups: npt.NDArray[np.intp]
    base: float

    @classmethod
    def of(cls, pipeline: Pipeline, column_means: Sequence[float]) -> _Linear | None:
        """The linear explanation of ``pipeline``, or None when it is not [ColumnTransformer, linear classifier]."""
        columns, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        coef = getattr(classifier, "coef_", None)
        if len(pipeline.steps) != 2 or not isinstance(columns, ColumnTransformer) or coef is None:  # noqa: PLR2004
            return None
        if coef.shape[0] != 1 or len(column_means) != coef.shape[1]:
            return None
        means = np.asarray(column_means, dtype=np.float64)
        groups = feature_of_each_column(columns)
        return cls(coef[0].astype(np.float64), means, groups, float(classifier.intercept_[0] + coef[0] @ means))

    def explain(self, pipeline: Pipeline, row: Any) -> Attribution:
        transformed = dense(pipeline.steps[0][1].transform(row))
        probability = float(pipeline.steps[-1][1].predict_proba(transformed)[0, 1])
        per_column = self.coef * (transformed[0] - self.means)
        per_feature = np.zeros(len(FEATURES))
        np.add.at(per_feature, self.groups, per_column)
        return Attribution(probability, self.base + math.fsum(per_feature), self.base, per_feature, "linear_log_odds")


@dataclass(frozen=True)
class _Trees:
    """Exact path-dependent TreeSHAP of a [ColumnTransformer, boosted trees] pipeline (see :mod:`.treeshap`)."""

    ensemble: Ensemble
    groups: npt.NDArray[np.intp]

    @classmethod
    def of(cls, pipeline: Pipeline) -> _Trees | None:
        """The tree explanation of ``pipeline``, or None when it is not [ColumnTransformer, boosted trees]."""
        columns, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        if len(pipeline.steps) != 2 or not isinstance(columns, ColumnTransformer):  # noqa: PLR2004
            return None
        ensemble = ensemble_of(classifier)
        return None if ensemble is None else cls(ensemble, feature_of_each_column(columns))

    def probability(self, pipeline: Pipeline, row: Any) -> float:
        """The classifier's probability, from the same trees (the margin's logistic)."""
        margin = self.ensemble.margin(dense(pipeline.steps[0][1].transform(row))[0])
        return float(1 / (1 + np.exp(-margin)))

    def explain(self, pipeline: Pipeline, row: Any) -> Attribution:
        transformed = dense(pipeline.steps[0][1].transform(row))[0]
        per_feature = np.zeros(len(FEATURES))
        np.add.at(per_feature, self.groups, self.ensemble.shap_values(transformed))
        base = self.ensemble.expected()
        margin = self.ensemble.margin(transformed)
        return Attribution(
            float(1 / (1 + np.exp(-margin))), base + math.fsum(per_feature), base, per_feature, "tree_shap"
        )


def dense(transformed: Any) -> npt.NDArray[np.float64]:
    """A ColumnTransformer's output as a dense float array (it is sparse when mostly zeros)."""
    if hasattr(transformed, "toarray"):
        transformed = transformed.toarray()
    return np.asarray(transformed, dtype=np.float64)


def feature_of_each_column(columns: ColumnTransformer) -> npt.NDArray[np.intp]:
    """For each transformed column, the index (in FEATURES) of the model feature it comes from."""
    groups: list[int] = []
    for _, transformer, selected in columns.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        indices = [FEATURES.index(name) for name in _column_names(selected, list(FEATURES))]
        categories = getattr(transformer, "categories_", None)
        if categories is None:
            groups.extend(indices)
        else:
            for index, values in zip(indices, categories, strict=True):
                groups.extend([index] * len(values))
    return np.array(groups, dtype=np.intp)


def column_means(pipeline: Pipeline, matrix: npt.NDArray[np.object_]) -> list[float]:
    """Mean of each column the pipeline's first step makes of ``matrix`` (what linear explanations need)."""
    first = pipeline.steps[0][1]
    if not isinstance(first, ColumnTransformer) or not hasattr(pipeline.steps[-1][1], "coef_"):
        return []
    transformed = dense(first.transform(pipeline_input(pipeline, matrix)))
    return [float(v) for v in transformed.mean(axis=0)]


def pipeline_input(pipeline: Pipeline, matrix: npt.NDArray[np.object_]) -> Any:
    """``matrix`` as the pipeline was fitted: the object matrix, or a DataFrame with the FEATURES columns."""
    if getattr(pipeline, "feature_names_in_", None) is None:
        return matrix
    import pandas as pd  # only for pipelines fitted on a DataFrame (the train extra has it)

    frame = pd.DataFrame(matrix, columns=list(FEATURES))
    for name in NUMERIC:
        frame[name] = frame[name].astype(np.float64)
    return frame
