"""Scoring rows exactly as ``POST /v1/score`` does: the service's model, explainer, thresholds and score scale.

Nothing here knows Spark. The driver verifies the artifact (sha256, trusted types, inventory approval) and
packs it into a :class:`ModelPayload`; each executor rebuilds the model from those bytes with the service's
own :func:`~..model.load_model`, which checks them again, so a cluster never needs the model file on disk.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError, create_model

from ..app import decide, to_score
from ..audit import canonical_json
from ..decisions import ROLLOUT_ARM
from ..governance.inventory import INVENTORY, require_approval
from ..model import ModelLoadError, ScoringModel, load_model, metadata_path
from ..model.explain import Explainer, explainer_for
from ..oversight import GREY_ZONE
from ..schemas import PERSONAL_FIELDS, Applicant, Decision, Explanation
from ..settings import Settings
from .errors import BatchScoringError

ID_COLUMN = "application_id"
# The applicant's fields the model uses; personal fields (name, phone, ...) are never read.
FEATURE_COLUMNS = tuple(name for name in Applicant.model_fields if name not in PERSONAL_FIELDS)
INPUT_COLUMNS = (ID_COLUMN, *FEATURE_COLUMNS)
RESULT_COLUMNS = (
    "probability_of_default",
    "score",
    "decision",
    "reason_codes",
    "explanation",
    "decided_at",
    "latency_ms",
    "run_id",
)
# The request schema's own rules (types, ranges, allowed categories) for the fields the model uses.
_FEATURE_FIELDS: dict[str, Any] = {
    name: (Applicant.model_fields[name].annotation, Applicant.model_fields[name]) for name in FEATURE_COLUMNS
}
Features: type[BaseModel] = create_model("Features", __config__=Applicant.model_config, **_FEATURE_FIELDS)
_SCORERS: dict[str, BatchScorer] = {}  # one per artifact in each executor process (Python workers are reused)


@dataclass(frozen=True)
class ModelPayload:
    """What the driver broadcasts: the verified artifact's bytes and its metadata (which holds the explainer's
    background), under the artifact's file name (its family's extension)."""

    artifact: bytes
    metadata: bytes
    sha256: str
    artifact_name: str
    settings: Settings


@dataclass(frozen=True)
class Scored:
    """One row's outcome, as the online service computes it."""

    probability: float
    score: int
    decision: Decision
    explanation: Explanation | None


@dataclass(frozen=True)
class BatchScorer:
    """The service's model and explainer, with the service's policy."""

    model: ScoringModel
    explainer: Explainer | None
    settings: Settings

    def score(self, record: Mapping[str, Any]) -> Scored:
        """Probability, score, decision and explanation, computed as the online service computes them."""
        if self.explainer is None:
            probability, explanation = self.model.predict(dict(record)), None
        else:
            probability, explanation = self.explainer.explain(record)
        return Scored(probability, to_score(probability), decide(probability, self.settings), explanation)


def prepare_model(settings: Settings) -> tuple[ScoringModel, ModelPayload]:
    """Load and verify the configured artifact, require its inventory approval, and pack it for executors.

    Raises ``ModelLoadError`` (``UnapprovedModelError`` without an approval), as the service refuses to serve.
    """
    model = load_model(settings.model_path)
    require_approval(model, settings.inventory_path or settings.model_path.with_name(INVENTORY))
    if settings.explanations_enabled:
        explainer_for(model)  # refuses a model whose metadata cannot explain it, as the service does
    try:
        artifact, metadata = settings.model_path.read_bytes(), metadata_path(settings.model_path).read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read the model at {settings.model_path}: {exc}") from exc
    return model, ModelPayload(artifact, metadata, model.sha256, settings.model_path.name, settings)


def scorer_for(payload: ModelPayload) -> BatchScorer:
    """The scorer for ``payload``, rebuilt once per process with the service's checks (sha256, trusted types)."""
    cached = _SCORERS.get(payload.sha256)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="batch-scoring-") as folder:
        path = Path(folder) / payload.artifact_name
        path.write_bytes(payload.artifact)
        metadata_path(path).write_bytes(payload.metadata)
        model = load_model(path)
    if model.sha256 != payload.sha256:
        raise ModelLoadError(f"the broadcast artifact is {model.sha256}, not the verified {payload.sha256}")
    settings = payload.settings
    explainer = None
    if settings.explanations_enabled:
        explainer = explainer_for(model, settings.explanation_reasons)
    scorer = _SCORERS[payload.sha256] = BatchScorer(model, explainer, settings)
    return scorer


def score_frame(scorer: BatchScorer, rows: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The input rows (id and features) with the result columns of :data:`RESULT_COLUMNS` added."""
    results: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    records = cast("list[dict[str, Any]]", rows[list(INPUT_COLUMNS)].to_dict("records"))
    for record in records:
        started = time.perf_counter()
        _validate(record)
        scored = scorer.score(record)
        explanation = scored.explanation
        results["probability_of_default"].append(scored.probability)
        results["score"].append(scored.score)
        results["decision"].append(scored.decision)
        results["reason_codes"].append([] if explanation is None else [r.feature for r in explanation.reasons])
        results["explanation"].append(None if explanation is None else canonical_json(explanation.model_dump()))
        results["decided_at"].append(datetime.now(UTC).isoformat())
        results["latency_ms"].append(round((time.perf_counter() - started) * 1000, 3))
        results["run_id"].append(run_id)
    out = rows[list(INPUT_COLUMNS)].reset_index(drop=True)
    for name, values in results.items():
        out[name] = pd.Series(values, dtype=object if name in {"reason_codes", "explanation"} else None)
    out["score"] = out["score"].astype(np.int32)
    return out


def _validate(record: Mapping[str, Any]) -> None:
    """Refuse a row ``POST /v1/score`` would refuse (422): a batch never scores what the service would not."""
    try:
        Features.model_validate({name: record[name] for name in FEATURE_COLUMNS})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BatchScoringError(f"application {record[ID_COLUMN]} is invalid: {problems}") from None


def score_batches(payload: ModelPayload, run_id: str, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Score each batch of one partition (the function Spark runs on the executors)."""
    scorer = scorer_for(payload)
    for rows in batches:
        yield score_frame(scorer, rows, run_id)


def audit_body(row: Mapping[str, Any], model: ScoringModel, settings: Settings, caller: str) -> dict[str, Any]:
    """The audit record of one batch decision: the online record's fields, plus where the row came from."""
    explanation = row["explanation"]
    return {
        "request_id": f"batch-{row['run_id']}-{row[ID_COLUMN]}",
        "decided_at": row["decided_at"],
        "model": {"name": model.name, "version": model.version, "sha256": model.sha256},
        "policy": {
            "version": settings.policy_version,
            "approve_below": settings.approve_below,
            "decline_above": settings.decline_above,
        },
        "features": {name: row[name] for name in FEATURE_COLUMNS},
        "probability_of_default": row["probability_of_default"],
        "score": row["score"],
        "decision": row["decision"],
        "explanation": None if explanation is None else _json_object(explanation),
        "rollout_arm": ROLLOUT_ARM,
        "latency_ms": row["latency_ms"],
        "caller": caller,
        # oversight.referral for an applicant without policy flags: the batch never reads personal
        # columns (politically_exposed among them), so only the grey zone refers.
        "referral": GREY_ZONE if row["decision"] == "refer" else None,
        "channel": "batch",
        "batch": {"run_id": row["run_id"], "application_id": row[ID_COLUMN]},
    }


def _json_object(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value
