"""Load the model artifact safely: checksum verified, and only an explicit list of types trusted.

skops never unpickles; it rebuilds objects type by type and refuses any type not in the trusted list,
so a tampered or foreign artifact cannot run code at load time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io
from sklearn.pipeline import Pipeline

from ..tracing import tracer
from .features import to_matrix

# Exactly the types the training pipeline is made of (see train.build_pipeline); nothing else loads.
TRUSTED_TYPES = [
    "numpy.dtype",
    "numpy.ndarray",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._data.StandardScaler",
]


class ModelLoadError(Exception):
    """The artifact is missing, altered, or contains something it should not."""


@dataclass(frozen=True)
class ScoringModel:
    """A loaded, verified model with its identity."""

    name: str
    version: str
    sha256: str
    pipeline: Pipeline

    def probability_of_default(self, record: dict[str, Any]) -> float:
        """The model's probability that this applicant defaults."""
        with tracer.start_as_current_span("model.predict"):
            return float(self.pipeline.predict_proba(to_matrix([record]))[0, 1])


def load_model(path: Path) -> ScoringModel:
    """Load ``path`` (``*.skops``) after checking it against the sha256 in its metadata JSON."""
    metadata_path = path.with_suffix(".json")
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        payload = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read the model at {path}: {exc}") from exc
    digest = hashlib.sha256(payload).hexdigest()
    if digest != metadata.get("sha256"):
        raise ModelLoadError(f"{path} does not match the sha256 in {metadata_path.name}; refusing to load it")
    untrusted = sorted(set(skops.io.get_untrusted_types(data=payload)) - set(TRUSTED_TYPES))
    if untrusted:
        raise ModelLoadError(f"{path} contains types that are not trusted: {', '.join(untrusted)}")
    try:
        pipeline = skops.io.loads(payload, trusted=TRUSTED_TYPES)
    except Exception as exc:  # skops raises many types for a corrupt archive
        raise ModelLoadError(f"cannot load {path}: {exc}") from exc
    if not isinstance(pipeline, Pipeline):
        raise ModelLoadError(f"{path} holds a {type(pipeline).__name__}, not a scikit-learn Pipeline")
    return ScoringModel(str(metadata["name"]), str(metadata["version"]), digest, pipeline)
