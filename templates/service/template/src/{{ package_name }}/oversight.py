"""Human oversight: what goes to review, the review queue API, appeals and the review console.

A decision is referred to a person, and queued, when it falls in the grey zone between the approve and
decline thresholds, when policy flags the applicant (a politically exposed person), and whenever the
service cannot explain or record it (fail safe). Reviewers (role ``reviewer``) list the queue and
approve or decline each case with a mandatory reason; applicants appeal through the lender's front end
(role ``scorer``). Every review and appeal is an audit record, shown with its decision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import State

from .access import UNAUTHORISED, Caller, require
from .audit import AuditRecord, AuditStore
from .contract import Decision
from .decisions import DECISION, wait_for_record
from .errors import CLIENT_ERRORS
from .logs import get_logger
from .policy import REFERRAL, REVIEW_FLAGS, Thresholds, decide
from .privacy import SubjectKeyStore, read_subject
from .reviews import Case, ReviewQueue, ReviewQueueError
from .schemas import (
    AppealRequest,
    Applicant,
    DecisionRecord,
    ErrorResponse,
    ReviewAction,
    ReviewCase,
    ReviewRequest,
    SubjectView,
)
from .settings import Settings

REVIEW, APPEAL = "review", "appeal"
GREY_ZONE, EXPLANATION_FAILED, AUDIT_WRITE_FAILED = "grey_zone", "explanation_failed", "audit_write_failed"
PREDICTION_FAILED, DECISION_FAILED = "prediction_failed", "decision_failed"  # the model, or deciding, broke
PERSONAL_READERS = frozenset({"reviewer", "auditor"})  # see a decision's personal data while its key exists
_CONSOLE = FilePath(__file__).parent / "console"
_CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No recorded decision or case has this id."}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "The case is not in the state this needs."}
}
_UNRECORDED: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "The action could not be recorded; nothing changed."}
}
DecisionId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        max_length=64,
        description="An audit record id, or for a case not recorded its request id (1-64 of A-Z a-z 0-9 . _ -).",
    ),
]
log = get_logger(__name__)
router = APIRouter()


def referral(applicant: Applicant, automated: Decision) -> str | None:
    """Why this decision must go to a person (a review flag of the contract, or the grey zone), or None."""
    flags = [flag for flag in REVIEW_FLAGS if getattr(applicant, flag)]
    if flags:
        return f"policy:{flags[0]}"
    return GREY_ZONE if automated == REFERRAL else None


def open_review_queue(settings: Settings) -> ReviewQueue | None:
    """The queue, or None (logged): referred decisions are then still referred, but not queued."""
    try:
        return ReviewQueue(settings.review_path)
    except ReviewQueueError as exc:
        log.error("review_queue_not_open", reason=str(exc))
        return None


def queue_referral(state: State, body: dict[str, Any], record: AuditRecord | None) -> bool:
    """Put a referred decision in the review queue; False (logged) when that is not possible."""
    queue: ReviewQueue | None = state.reviews
    try:
        if queue is None:
            raise ReviewQueueError("the review queue is not open")
        case_id = record.id if record is not None else body["request_id"]
        queue.enqueue(case_id, record.id if record else None, body["request_id"], body["referral"], body)
    except ReviewQueueError as exc:
        log.error("review_not_queued", reason=str(exc), request_id=body["request_id"])
        return False
    return True


def decision_record(state: State, decision_id: str, *, may_read_personal: bool = False) -> DecisionRecord:
    """``GET /v1/decisions/{id}``: the recorded decision with its review status and every review or appeal.

    ``subject`` shows the personal data, decrypted, to callers that ``may_read_personal`` while the
    subject's key exists; after an erasure its status is ``erased`` and the data is gone for everyone.
    """
    store: AuditStore | None = state.audit
    record = store.get(decision_id) if store is not None else None
    if record is None or record.kind != DECISION:
        raise HTTPException(404, "no recorded decision has this id")
    queue: ReviewQueue | None = state.reviews
    case = queue.case(decision_id) if queue is not None else None
    actions = [store.get(i) for i in queue.actions(decision_id)] if queue is not None and store is not None else []
    return DecisionRecord(
        decision_id=record.id,
        recorded_at=record.created_at,
        record_hash=record.hash,
        previous_hash=record.prev_hash,
        decision=dict(record.body),
        review_status="none" if case is None else ("reviewed" if case.status == "reviewed" else "pending"),
        reviews=[{"record_id": a.id, "action": a.kind, **a.body} for a in actions if a is not None],
        subject=_subject_view(state.subjects, record.body.get("subject"), may_read=may_read_personal),
    )


def _subject_view(keys: SubjectKeyStore | None, entry: Any, *, may_read: bool) -> SubjectView | None:
    if not isinstance(entry, dict):
        return None  # a record without personal data (a batch decision, or one from before sealing)
    status, personal = read_subject(keys, entry, may_read=may_read)
    return SubjectView(ref=str(entry["ref"]), status=status, personal=personal)


def _queue(request: Request) -> ReviewQueue:
    queue: ReviewQueue | None = request.app.state.reviews
    if queue is None:
        raise HTTPException(503, "the review queue is not open (see the service log)")
    return queue


def _record(request: Request, kind: str, body: dict[str, Any]) -> AuditRecord:
    store: AuditStore | None = request.app.state.audit
    settings: Settings = request.app.state.settings
    try:
        if store is None:
            raise RuntimeError("the audit trail is not open")
        return wait_for_record(store.submit(kind, body), settings.audit_timeout_seconds)
    except Exception as exc:  # an action that is not recorded did not happen
        log.error("audit_write_failed", kind=kind, error_type=type(exc).__name__, reason=str(exc))
        raise HTTPException(503, f"the {kind} could not be recorded in the audit trail; nothing changed") from exc


def _model_decision(decision: dict[str, Any]) -> str | None:
    """What the recorded thresholds alone made of the probability (the recorded decision may be a referral);
    None when there is no probability (the model or deciding failed: the fail-safe referrals)."""
    probability, policy = decision.get("probability_of_default"), decision["policy"]
    if probability is None:
        return None
    return decide(probability, Thresholds(policy["approve_below"], policy["decline_above"]))


def _now() -> str:
    return datetime.now(UTC).isoformat()


@router.get("/v1/reviews", response_model=list[ReviewCase], responses=UNAUTHORISED, summary="Cases waiting for review")
def pending_reviews(
    request: Request,
    caller: Annotated[Caller, Depends(require("reviewer"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReviewCase]:
    """The oldest first: referred decisions (grey zone, policy, fail safe) and appeals."""
    del caller  # authorised by the dependency
    return [_case_view(case) for case in _queue(request).pending(limit)]


def _case_view(case: Case) -> ReviewCase:
    return ReviewCase(
        case_id=case.case_id,
        decision_id=case.decision_id,
        request_id=case.request_id,
        reason=case.reason,
        queued_at=case.queued_at,
        decision=case.decision,
    )


@router.post(
    "/v1/decisions/{decision_id}/review",
    response_model=ReviewAction,
    responses={**CLIENT_ERRORS, **UNAUTHORISED, **_NOT_FOUND, **_CONFLICT, **_UNRECORDED},
    summary="Approve or decline a referred case, with a reason",
)
def review(
    decision_id: DecisionId,
    decision: ReviewRequest,
    request: Request,
    caller: Annotated[Caller, Depends(require("reviewer"))],
) -> ReviewAction:
    """Only the reviewer role; the review is written to the audit trail before the case leaves the queue."""
    queue = _queue(request)
    case = queue.case(decision_id)
    if case is None:
        raise HTTPException(404, "no case has this id: only referred or appealed decisions are reviewed")
    if not queue.claim(decision_id):
        raise HTTPException(409, "this case is not waiting for review (an appeal puts a reviewed case back)")
    model_decision = _model_decision(case.decision)
    body: dict[str, Any] = {
        "decision_id": case.decision_id,
        "case_id": case.case_id,
        "request_id": case.request_id,
        "queue_reason": case.reason,
        "reviewer": caller.name,
        "decision": decision.decision,
        "model_decision": model_decision,
        "overrides_model": model_decision is not None and decision.decision != model_decision,
        "reason": decision.reason,
        "reviewed_at": _now(),
    }
    if case.decision_id is None:
        body["unrecorded_decision"] = case.decision  # the fail-safe case enters the trail with its review
    try:
        record = _record(request, REVIEW, body)
    except HTTPException:
        queue.release(decision_id, reviewed=False)
        raise
    queue.note(decision_id, record.id, REVIEW)
    queue.release(decision_id, reviewed=True)
    log.info("reviewed", decision=decision.decision, overrides_model=body["overrides_model"])
    return ReviewAction(decision_id=decision_id, record_id=record.id, action="review", by=caller.name, body=body)


@router.post(
    "/v1/decisions/{decision_id}/appeal",
    response_model=ReviewAction,
    status_code=202,
    responses={**CLIENT_ERRORS, **UNAUTHORISED, **_NOT_FOUND, **_CONFLICT, **_UNRECORDED},
    summary="The applicant appeals: the decision goes back to human review",
)
def appeal(
    decision_id: DecisionId,
    grounds: AppealRequest,
    request: Request,
    caller: Annotated[Caller, Depends(require("scorer"))],
) -> ReviewAction:
    """Made by the lender's front end (scorer role) for the applicant; audited, then queued for a reviewer."""
    store: AuditStore | None = request.app.state.audit
    decided = store.get(decision_id) if store is not None else None
    if decided is None or decided.kind != DECISION:
        raise HTTPException(404, "no recorded decision has this id")
    queue = _queue(request)
    existing = queue.case(decision_id)
    if existing is not None and existing.status != "reviewed":
        raise HTTPException(409, "this decision is already waiting for review")
    body = {"decision_id": decision_id, "via": caller.name, "reason": grounds.reason, "appealed_at": _now()}
    record = _record(request, APPEAL, body)
    queue.enqueue(decision_id, decision_id, decided.body["request_id"], APPEAL, dict(decided.body))
    queue.note(decision_id, record.id, APPEAL)
    log.info("appealed")
    return ReviewAction(decision_id=decision_id, record_id=record.id, action="appeal", by=caller.name, body=body)


@router.get("/console", include_in_schema=False)
def console() -> HTMLResponse:
    """The review console: a static page (no data in it); it calls the API with the reviewer's key."""
    return HTMLResponse((_CONSOLE / "index.html").read_text(encoding="utf-8"), headers=_CONSOLE_HEADERS)


@router.get("/console/console.js", include_in_schema=False)
def console_script() -> Response:
    """The console's script (vanilla JavaScript, no build step)."""
    script = (_CONSOLE / "console.js").read_text(encoding="utf-8")
    return Response(script, media_type="text/javascript", headers=_CONSOLE_HEADERS)
