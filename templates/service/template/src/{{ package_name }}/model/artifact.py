"""Load a model artifact safely, whichever family its metadata names; no code path ever unpickles.

Every artifact has a metadata JSON beside it (:func:`metadata_path`): its name, version, SHA-256, family
and what serving needs (the feature list and the explainer's background), written at train or import time
so serving never regenerates data. :func:`load_model` checks the checksum first, then hands the bytes to
the family's loader: skops for scikit-learn (only an explicit allow-list of types is trusted), XGBoost's
JSON/UBJ, LightGBM's text format and ONNX (onnxruntime). All of them are data formats: loading one cannot
run code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import numpy as np
import numpy.typing as npt

from .features import FEATURES, NUMERIC

Family = Literal["sklearn", "xgboost", "lightgbm", "onnx"]
FAMILIES: tuple[str, ...] = get_args(Family)
ExplanationMethod = Literal["linear_log_odds", "tree_shap", "interventional_shapley"]
Vector = npt.NDArray[np.float64]


class ModelLoadError(Exception):
    """The artifact is missing, altered, or contains something it should not."""


@dataclass(frozen=True)
class Identity:
    """Which artifact this is: what the inventory, the audit trail and the metrics name."""

    name: str
    version: str
    sha256: str
    family: Family


@dataclass(frozen=True)
class Background:
    """What explanations need from the training (or import) data, stored in the metadata.

    ``typical`` is the mean of each numeric feature (the "typical applicant" of a reason sentence);
    ``rows`` a small seeded sample of model input rows (FEATURES order) for model-agnostic explanations;
    ``column_means`` the mean of each transformed column over the training rows (linear models).
    """

    typical: dict[str, float]
    rows: tuple[tuple[Any, ...], ...] = ()
    column_means: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """As stored in the metadata."""
        return {"typical": self.typical, "rows": [list(r) for r in self.rows], "column_means": list(self.column_means)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Background:
        """Read :meth:`to_json`'s output (empty for an artifact written before backgrounds were stored: it
        then serves without explanations, so its decisions go to a person); :class:`ModelLoadError` when malformed."""
        if not raw:
            return cls({})
        try:
            typical = {str(k): float(v) for k, v in raw["typical"].items()}
            rows = tuple(tuple(row) for row in raw.get("rows", []))
            means = tuple(float(v) for v in raw.get("column_means", []))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelLoadError(f"the explainer background in the metadata is malformed: {exc}") from exc
        missing = sorted(set(NUMERIC) - typical.keys())
        if missing or any(len(row) != len(FEATURES) for row in rows):
            raise ModelLoadError(f"the explainer background does not cover the features (missing {missing})")
        return cls(typical, rows, means)


@dataclass(frozen=True)
class Attribution:
    """A probability and its exact additive explanation on the model's margin (log-odds).

    ``base + sum(contributions) == log_odds`` (to rounding); ``contributions`` is in FEATURES order.
    """

    probability: float
    log_odds: float
    base: float
    contributions: Vector
    method: ExplanationMethod


class ScoringModel(Protocol):
    """A loaded, verified model of any family."""

    @property
    def identity(self) -> Identity: ...

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def family(self) -> Family: ...

    @property
    def background(self) -> Background: ...

    def predict(self, record: Mapping[str, Any]) -> float:
        """The probability of the positive outcome (default) for one raw application."""
        ...

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """:meth:`predict` for many records at once."""
        ...

    def explain(self, record: Mapping[str, Any]) -> Attribution:
        """The probability with one signed contribution per feature, adding up to the model's margin."""
        ...


@dataclass(frozen=True)
class Loaded:
    """The shared part of every family's model: identity and background."""

    identity: Identity
    background: Background

    @property
    def name(self) -> str:
        """The model's name."""
        return self.identity.name

    @property
    def version(self) -> str:
        """The model's version."""
        return self.identity.version

    @property
    def sha256(self) -> str:
        """SHA-256 of the artifact's bytes."""
        return self.identity.sha256

    @property
    def family(self) -> Family:
        """Which library runs it."""
        return self.identity.family


def metadata_path(artifact: Path) -> Path:
    """The metadata JSON of ``artifact``: same directory, the name up to its first dot, ``.json``.

    ``credit-risk.skops`` and ``fraud.xgb.json`` have ``credit-risk.json`` and ``fraud.json``.
    """
    return artifact.with_name(f"{artifact.name.partition('.')[0]}.json")


def read_verified(path: Path) -> tuple[bytes, dict[str, Any]]:
    """The artifact's bytes and its metadata, after checking the bytes against the recorded SHA-256."""
    meta_path = metadata_path(path)
    if meta_path == path:
        raise ModelLoadError(f"{path} has no separate metadata file (name it like NAME.xgb.json)")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        payload = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read the model at {path}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ModelLoadError(f"{meta_path} is not a JSON object")
    if hashlib.sha256(payload).hexdigest() != metadata.get("sha256"):
        raise ModelLoadError(f"{path} does not match the sha256 in {meta_path.name}; refusing to load it")
    return payload, metadata


def load_model(path: Path) -> ScoringModel:
    """Load the artifact at ``path`` with the family its metadata names (scikit-learn when none is named)."""
    payload, metadata = read_verified(path)
    family = metadata.get("family", "sklearn")
    if family not in FAMILIES:
        raise ModelLoadError(f"{metadata_path(path)} names family {family!r}; expected one of {', '.join(FAMILIES)}")
    features = metadata.get("features")
    if features is not None and list(features) != list(FEATURES):
        raise ModelLoadError(f"{path} was built for features {features}, not the service's {list(FEATURES)}")
    identity = Identity(str(metadata["name"]), str(metadata["version"]), hashlib.sha256(payload).hexdigest(), family)
    background = Background.from_json(metadata.get("background") or {})
    from .families import loader  # imported lazily: each family imports only its own library

    try:
        return loader(family)(payload, Loaded(identity, background))
    except ModelLoadError:
        raise
    except ImportError as exc:
        raise ModelLoadError(
            f"{path} is a {family} model that needs {exc.name}, which is not installed: pip install '.[byom,train]'"
        ) from exc
    except Exception as exc:  # each library raises its own types for a corrupt file
        raise ModelLoadError(f"cannot load {path} as a {family} model: {exc}") from exc


BACKGROUND_ROWS = 16  # rows kept for model-agnostic explanations: 2^9 coalitions x 16 rows per request


def summarise(matrix: npt.NDArray[np.object_], seed: int, column_means: Sequence[float] = ()) -> Background:
    """The explainer background of training (or import) rows ``matrix`` (FEATURES order), seeded."""
    typical = {name: float(np.mean(matrix[:, FEATURES.index(name)].astype(np.float64))) for name in NUMERIC}
    chosen = np.sort(
        np.random.default_rng(seed).choice(len(matrix), size=min(BACKGROUND_ROWS, len(matrix)), replace=False)
    )
    rows = tuple(tuple(matrix[i].tolist()) for i in chosen)
    return Background(typical, rows, tuple(column_means))
