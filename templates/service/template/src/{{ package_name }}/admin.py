"""Admin endpoints: the kill switch and erasure of a data subject (role ``admin``), the incident register
(``admin`` or ``auditor``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .access import UNAUTHORISED, Caller, require
from .controls import close_incident, switch_kill_switch
from .errors import CLIENT_ERRORS
from .incidents import MAX_ID, Incident, IncidentError, IncidentRegister
from .killswitch import KillSwitch
from .privacy import SubjectKeyStore, erase
from .schemas import ErrorResponse, Reasoning
from .settings import Settings

router = APIRouter()
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "The incident register is not open."}
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "No incident has this id."}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "The incident is already closed."}
}


class KillSwitchRequest(BaseModel):
    """``PUT /v1/admin/kill-switch``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    engaged: bool
    reason: str = Field(min_length=3, max_length=2000, description="Why (recorded in the audit trail).")


class KillSwitchView(BaseModel):
    """The kill switch as every worker sees it."""

    engaged: bool
    mode: str = Field(description="What happens while engaged: review (refer everything) or fallback_rules.")
    reason: str
    by: str
    changed_at: str
    record_id: str | None = Field(default=None, description="The audit record of this change (PUT only).")
    incident_id: int | None = Field(default=None, description="The incident opened by engaging it (PUT only).")


class IncidentView(BaseModel):
    """One entry of the incident register."""

    id: int
    kind: str
    key: str
    status: str
    summary: str
    details: dict[str, JsonValue]
    opened_at: str
    opened_by: str
    closed_at: str | None
    closed_by: str | None
    note: str | None


class CloseRequest(BaseModel):
    """``POST /v1/incidents/{id}/close``."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=4000, description="What was done, and where it is recorded.")


class ErasureRequest(BaseModel):
    """``POST /v1/subjects/erase``: in the body, as the applicant id must not appear in a URL (access logs)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    applicant_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The data subject to erase.")
    reason: Reasoning = Field(description="Why, e.g. the request's reference (recorded; no personal data).")


class ErasureView(BaseModel):
    """What an erasure did."""

    status: str = Field(description="erased: the key is deleted; not_found: no key (never scored, or erased).")
    subject_ref: str | None = Field(description="The subject reference whose data is now unreadable.")
    record_id: str | None = Field(
        description="The `erasure` audit record; null if the trail could not take it (it stays pending and is "
        "written by the next erasure)."
    )


def _view(switch: KillSwitch, settings: Settings, **extra: Any) -> KillSwitchView:
    state = switch.state()
    return KillSwitchView(mode=settings.kill_switch_mode, **state.__dict__, **extra)


def _register(request: Request) -> IncidentRegister:
    register: IncidentRegister | None = request.app.state.incidents
    if register is None:
        raise HTTPException(503, "the incident register is not open (see the service log)")
    return register


IncidentId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The incident's id (a positive 64-bit integer, as SQLite stores it).")
]


@router.get("/v1/admin/kill-switch", response_model=KillSwitchView, responses=UNAUTHORISED, summary="Kill switch")
def kill_switch(request: Request, caller: Annotated[Caller, Depends(require("admin", "auditor"))]) -> KillSwitchView:
    """Whether automated decisions are suspended, why and by whom."""
    del caller  # authorised by the dependency
    return _view(request.app.state.kill_switch, request.app.state.settings)


@router.put(
    "/v1/admin/kill-switch",
    response_model=KillSwitchView,
    responses={**CLIENT_ERRORS, **UNAUTHORISED},
    summary="Engage or release the kill switch (every worker, next request, no restart)",
)
def set_kill_switch(
    change: KillSwitchRequest, request: Request, caller: Annotated[Caller, Depends(require("admin"))]
) -> KillSwitchView:
    """Audited (kind ``kill_switch``); engaging it opens an incident."""
    state = request.app.state
    settings: Settings = state.settings
    switched = switch_kill_switch(
        state.kill_switch,
        state.incidents,
        state.audit,
        engaged=change.engaged,
        reason=change.reason,
        by=caller.name,
        timeout=settings.audit_timeout_seconds,
    )
    incident_id = switched.incident.id if switched.incident else None
    return _view(state.kill_switch, settings, record_id=switched.record_id, incident_id=incident_id)


@router.get(
    "/v1/incidents",
    response_model=list[IncidentView],
    responses={**UNAUTHORISED, **_UNAVAILABLE},
    summary="The incident register, newest first",
)
def incidents(
    request: Request,
    caller: Annotated[Caller, Depends(require("admin", "auditor"))],
    status: Annotated[Literal["open", "closed"] | None, Query(description="Only incidents with this status.")] = None,
) -> list[IncidentView]:
    """Kill switch engagements, drift over threshold, fairness gate failures; ``?status=open`` filters."""
    del caller  # authorised by the dependency
    return [IncidentView(**i.to_json()) for i in _register(request).list(status)]


@router.post(
    "/v1/incidents/{incident_id}/close",
    response_model=IncidentView,
    responses={**CLIENT_ERRORS, **UNAUTHORISED, **_NOT_FOUND, **_CONFLICT, **_UNAVAILABLE},
    summary="Close an incident with a note (audited)",
)
def close(
    incident_id: IncidentId,
    body: CloseRequest,
    request: Request,
    caller: Annotated[Caller, Depends(require("admin"))],
) -> IncidentView:
    """Closing is written to the audit trail (kind ``incident``)."""
    register = _register(request)
    if register.get(incident_id) is None:
        raise HTTPException(404, "no incident has this id")
    settings: Settings = request.app.state.settings
    try:
        incident: Incident
        incident, _ = close_incident(
            register,
            request.app.state.audit,
            incident_id,
            note=body.note,
            by=caller.name,
            timeout=settings.audit_timeout_seconds,
        )
    except IncidentError as exc:
        raise HTTPException(409, str(exc)) from exc
    return IncidentView(**incident.to_json())


@router.post(
    "/v1/subjects/erase",
    response_model=ErasureView,
    responses={**CLIENT_ERRORS, **UNAUTHORISED, 503: {"model": ErrorResponse, "description": "No key store."}},
    summary="Erase a data subject: delete its key, so its personal data in the audit trail cannot be read",
)
def erase_subject(
    body: ErasureRequest, request: Request, caller: Annotated[Caller, Depends(require("admin"))]
) -> ErasureView:
    """Right to erasure (crypto-shredding); audited (kind ``erasure``) with the caller. Idempotent."""
    state = request.app.state
    keys: SubjectKeyStore | None = state.subjects
    if keys is None:
        raise HTTPException(503, "the subject key store is not open (see the service log)")
    settings: Settings = state.settings
    done = erase(
        keys, state.audit, body.applicant_id, reason=body.reason, by=caller.name, timeout=settings.audit_timeout_seconds
    )
    return ErasureView(status=done.status, subject_ref=done.subject_ref, record_id=done.record_id)
