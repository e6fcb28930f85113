"""A decision as the audit trail records it, and writing it durably before the response.

The record keeps the model's input features in clear, minimised: fields marked ``x-personal`` in the
request schema (name, phone, applicant id, ...) are left out of them and reach the trail only encrypted
under the subject's own key, in ``subject`` (added by ``score_applicant``, see :mod:`.privacy`).
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .audit import AuditRecord, AuditStore
from .contract import Decision
from .logs import get_logger
from .metrics import Metrics
from .model import ScoringModel
from .schemas import PERSONAL_FIELDS, Applicant, Explanation
from .settings import Settings
from .tracing import tracer

DECISION = "decision"
ROLLOUT_ARM = "champion"  # the default; score_applicant records the arm that decided (see rollout.py)
log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What scoring produced, before it is recorded."""

    request_id: str
    caller: str
    probability: float | None  # None when the model could not score (the case is then referred)
    score: int | None
    decision: Decision
    explanation: Explanation | None
    latency_seconds: float
    referral: str | None = None


def minimised_features(applicant: Applicant) -> dict[str, Any]:
    """The applicant's fields without those marked personal: what the model used, nothing more."""
    return {k: v for k, v in applicant.model_dump().items() if k not in PERSONAL_FIELDS}


def decision_body(outcome: Outcome, applicant: Applicant, model: ScoringModel, settings: Settings) -> dict[str, Any]:
    """The decision record: identity, inputs (minimised), result, explanation, policy and caller."""
    return {
        "request_id": outcome.request_id,
        "decided_at": datetime.now(UTC).isoformat(),
        "model": {"name": model.name, "version": model.version, "sha256": model.sha256},
        "policy": {
            "version": settings.policy_version,
            "approve_below": settings.approve_below,
            "decline_above": settings.decline_above,
        },
        "features": minimised_features(applicant),
        "probability_of_default": outcome.probability,
        "score": outcome.score,
        "decision": outcome.decision,
        "explanation": None if outcome.explanation is None else outcome.explanation.model_dump(),
        "rollout_arm": ROLLOUT_ARM,
        "latency_ms": round(outcome.latency_seconds * 1000, 3),
        "caller": outcome.caller,
        "referral": outcome.referral,
    }


def record_decision(
    store: AuditStore | None, body: dict[str, Any], metrics: Metrics, timeout: float
) -> AuditRecord | None:
    """Write ``body`` durably and return its record, or None (counted and logged) when that failed."""
    started = time.perf_counter()
    try:
        if store is None:
            raise RuntimeError("the audit trail is not open")  # counted like any failed write
        record = wait_for_record(store.submit(DECISION, body), timeout)
    except Exception as exc:  # any failure: the caller must not issue an automated decision
        metrics.audit_write_failures.inc()
        log.error("audit_write_failed", error_type=type(exc).__name__, reason=str(exc))
        return None
    finally:
        metrics.audit_write_seconds.observe(time.perf_counter() - started)
    return record


def wait_for_record(future: Future[AuditRecord], timeout: float) -> AuditRecord:
    """The record once durable; on timeout, cancel the write if it has not started, else wait for it."""
    with tracer.start_as_current_span("audit.write"):
        try:
            return future.result(timeout)
        except FutureTimeout:
            if future.cancel():  # never written, and now it never will be
                raise
            return future.result()  # already in a transaction being committed: its outcome decides
