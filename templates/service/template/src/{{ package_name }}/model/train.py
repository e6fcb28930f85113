"""Train the credit-risk model and save it reproducibly (same bytes for the same code and seed)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..governance.card import build_card, write_card
from ..governance.fairness import FairnessPolicy, FairnessReport, assess, load_policy, write_report
from ..governance.files import FAIRNESS_REPORT
from ..settings import Settings
from .artifact import Background, metadata_path, summarise
from .data import Dataset, digest, generate, split
from .drift import BASELINE_FILE, build_baseline, write_baseline
from .features import CATEGORICAL, FEATURES, NUMERIC, to_matrix
from .sklearn_model import column_means

MODEL_NAME = "credit-risk"
MODEL_VERSION = "1.0.0"
SEED = 20_261_124
ROWS = 20_000
HOLDOUT_FRACTION = 0.2
_DECIMALS = 10  # fitted floats are rounded so the artifact is identical across CPUs and BLAS builds
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class TrainingResult:
    """Where the artifact went and what it scored on held-out data."""

    artifact: Path
    metadata: Path
    sha256: str
    metrics: dict[str, float]
    fairness: FairnessReport
    model_card: Path


def build_pipeline() -> Pipeline:
    """Scale numeric features, one-hot encode categorical ones, then a logistic regression."""
    n_num = len(NUMERIC)
    columns = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(range(n_num))),
            (
                "categorical",
                OneHotEncoder(categories=[list(v) for v in CATEGORICAL.values()], sparse_output=False),
                list(range(n_num, len(FEATURES))),
            ),
        ]
    )
    return Pipeline([("features", columns), ("classifier", LogisticRegression(C=1.0, max_iter=2000))])


def train(
    output_dir: Path, *, rows: int = ROWS, seed: int = SEED, fairness_policy: FairnessPolicy | None = None
) -> TrainingResult:
    """Generate the data, fit, evaluate on a held-out split, and write the artifact, its metadata, the
    drift baseline, the fairness report and the model card.

    ``fairness_policy`` defaults to ``governance/fairness.toml`` (read from the working directory).
    """
    policy = fairness_policy or load_policy()
    data = generate(rows, seed)
    parts = split(rows, seed, HOLDOUT_FRACTION)
    x = to_matrix(data.records)
    y = data.labels
    pipeline = build_pipeline().fit(x[parts.train], y[parts.train])
    _round_fitted(pipeline)
    probabilities = pipeline.predict_proba(x[parts.holdout])[:, 1]
    metrics = _metrics(y[parts.holdout], probabilities)
    output_dir.mkdir(parents=True, exist_ok=True)
    artifact = output_dir / f"{MODEL_NAME}.skops"
    payload = canonical_skops(skops.io.dumps(pipeline))
    artifact.write_bytes(payload)
    sha256 = hashlib.sha256(payload).hexdigest()
    train_scores = pipeline.predict_proba(x[parts.train])[:, 1]
    write_baseline(build_baseline(x[parts.train], train_scores), output_dir / BASELINE_FILE)
    background = summarise(x[parts.train], seed, column_means(pipeline, x[parts.train]))
    serving = serving_metadata(background, output_dir / BASELINE_FILE)
    metadata = metadata_path(artifact)
    metadata.write_text(json.dumps(_metadata(sha256, metrics, data, seed) | serving, indent=2, sort_keys=True) + "\n")
    approve_below, decline_above = default_thresholds()
    groups = np.asarray(data.protected[policy.protected_attribute])[parts.holdout]
    fairness = assess(y[parts.holdout], probabilities, groups, approve_below=approve_below, policy=policy)
    write_report(fairness, output_dir / FAIRNESS_REPORT)
    card = build_card(artifact, fairness, approve_below=approve_below, decline_above=decline_above)
    card_path, _ = write_card(card, output_dir)
    return TrainingResult(artifact, metadata, sha256, metrics, fairness, card_path)


def default_thresholds() -> tuple[float, float]:
    """The service's default ``approve_below`` and ``decline_above`` (not the environment's: training is
    reproducible whatever the shell exports)."""
    fields = Settings.model_fields
    return float(fields["approve_below"].default), float(fields["decline_above"].default)


def _round_fitted(pipeline: Pipeline) -> None:
    scaler = pipeline.named_steps["features"].named_transformers_["numeric"]
    for attr in ("mean_", "scale_", "var_"):
        setattr(scaler, attr, np.round(getattr(scaler, attr), _DECIMALS))
    classifier = pipeline.named_steps["classifier"]
    classifier.coef_ = np.round(classifier.coef_, _DECIMALS)
    classifier.intercept_ = np.round(classifier.intercept_, _DECIMALS)


def _metrics(y_true: Any, probabilities: Any) -> dict[str, float]:
    return {
        "auc": round(float(roc_auc_score(y_true, probabilities)), 4),
        "accuracy": round(float(accuracy_score(y_true, probabilities >= 0.5)), 4),  # noqa: PLR2004
        "brier": round(float(brier_score_loss(y_true, probabilities)), 4),
        "default_rate": round(float(np.mean(y_true)), 4),
    }


def canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops archive so that equal models give equal bytes.

    skops names array files and memo entries after ``id()`` of the objects, which changes from run to
    run. Renumber them in the order they first appear in the schema, sort the entries, and fix the
    timestamps; the archive loads exactly as before.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {name: src.read(name) for name in src.namelist()}
    schema = json.loads(files.pop("schema.json"))
    ids: dict[int, int] = {}
    schema = _renumber(schema, ids)
    renamed = {_renamed(name, ids): content for name, content in files.items()}
    renamed["schema.json"] = json.dumps(schema, indent=2, sort_keys=True).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(renamed):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, renamed[name], compresslevel=9)
    return out.getvalue()


def _renamed(name: str, ids: dict[int, int]) -> str:
    if not name.endswith(".npy"):
        return name
    return f"{ids[int(name.removesuffix('.npy'))]}.npy"


def _renumber(node: Any, ids: dict[int, int]) -> Any:
    """Replace ``__id__`` values and ``<id>.npy`` file names by first-appearance sequence numbers."""
    if isinstance(node, list):
        return [_renumber(item, ids) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int):
            result[key] = ids.setdefault(value, len(ids))
        elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
            result[key] = f"{ids.setdefault(int(value.removesuffix('.npy')), len(ids))}.npy"
        else:
            result[key] = _renumber(value, ids)
    return result


def serving_metadata(background: Background, baseline: Path) -> dict[str, Any]:
    """What serving reads from the metadata, so that it never regenerates data: the feature list, the
    explainer background, and the drift baseline (file name and SHA-256)."""
    digest = hashlib.sha256(baseline.read_bytes()).hexdigest()
    return {
        "features": list(FEATURES),
        "background": background.to_json(),
        "drift_baseline": {"file": baseline.name, "sha256": digest},
    }


def _metadata(sha256: str, metrics: dict[str, float], data: Dataset, seed: int) -> dict[str, Any]:
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "artifact": f"{MODEL_NAME}.skops",
        "sha256": sha256,
        "format": "skops",
        "family": "sklearn",
        "training": {
            "seed": seed,  # the seed used: `model fairness` rebuilds the held-out rows from it
            "rows": len(data.records),
            "holdout_fraction": HOLDOUT_FRACTION,
            "data_sha256": digest(data),
        },
        "metrics": metrics,
        "libraries": {name: version(name) for name in ("scikit-learn", "skops", "numpy")},
    }
