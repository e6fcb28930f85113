"""One batch run: verify the model, score on Spark, write partitioned Parquet, audit every row, verify the trail."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from ..audit import AuditError
from ..model import ScoringModel
from ..settings import Settings
from . import spark as sparkjobs
from .audit import AuditSummary, append_all, open_store
from .errors import BatchScoringError
from .scoring import audit_body, prepare_model
from .settings import BatchScoringSettings

MANIFEST = "_batch_scoring.json"


@dataclass(frozen=True)
class BatchReport:
    """What a run did; also written as ``_batch_scoring.json`` in the output folder, last, on success."""

    run_id: str
    input: str
    output: str
    rows: int
    decisions: dict[str, int]
    model: dict[str, str]
    policy_version: str
    audit: AuditSummary | None  # None when the service's audit trail is disabled by configuration
    score_seconds: float
    audit_seconds: float
    started_at: str
    finished_at: str


def score_dataset(
    spark: SparkSession, source: Path, output: Path, settings: Settings, batch: BatchScoringSettings
) -> BatchReport:
    """Score every row of the Parquet data set ``source`` into ``output`` and append its audit records.

    The output folder must not exist. Consumers should trust it only when ``_batch_scoring.json`` is there:
    it is written after every row is durably in the audit trail and the trail verified.
    """
    started_at, run_id = datetime.now(UTC).isoformat(), uuid.uuid4().hex[:16]
    if output.exists():
        raise BatchScoringError(f"{output} exists; results are never overwritten: choose a new output folder")
    model, payload = prepare_model(settings)
    frame = sparkjobs.read_input(spark, source)
    _check_rows(source, *sparkjobs.row_counts(frame))
    clock = time.perf_counter()
    sparkjobs.score_and_write(spark, frame, payload, run_id, output)
    decisions = sparkjobs.decision_counts(spark, output)
    score_seconds, clock = time.perf_counter() - clock, time.perf_counter()
    audit = _audit(spark, output, model, settings, batch) if settings.audit_enabled else None
    report = BatchReport(
        run_id=run_id,
        input=str(source),
        output=str(output),
        rows=sum(decisions.values()),
        decisions=dict(sorted(decisions.items())),
        model={"name": model.name, "version": model.version, "sha256": model.sha256},
        policy_version=settings.policy_version,
        audit=audit,
        score_seconds=round(score_seconds, 3),
        audit_seconds=round(time.perf_counter() - clock, 3),
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(),
    )
    _write_manifest(output / MANIFEST, asdict(report))
    return report


def _check_rows(source: Path, rows: int, ids: int, nulls: int) -> None:
    if rows == 0:
        raise BatchScoringError(f"{source} holds no rows")
    if ids != rows:
        raise BatchScoringError(f"{source} repeats application ids ({rows} rows, {ids} ids); each row needs its own")
    if nulls:
        raise BatchScoringError(f"{source} has {nulls} missing value(s) in the id or feature columns")


def _audit(
    spark: SparkSession, output: Path, model: ScoringModel, settings: Settings, batch: BatchScoringSettings
) -> AuditSummary:
    rows = sparkjobs.results_in_order(spark, output)
    bodies = (audit_body(row, model, settings, batch.caller) for row in rows)
    try:
        store = open_store(settings)
    except AuditError as exc:
        raise BatchScoringError(f"cannot open the audit trail: {exc}; nothing was audited") from exc
    try:
        return append_all(store, bodies, batch.audit_batch_rows)
    finally:
        store.close()


def _write_manifest(path: Path, content: dict[str, Any]) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
