"""Operational controls shared by the admin API and the CLI: kill switch, incidents, rollback.

Each action is written to the audit trail (kinds ``kill_switch``, ``incident``, ``rollback``). Engaging
the kill switch takes effect even when its audit record cannot be written (stopping is always safe); the
result says whether it was recorded, and the incident register holds the engagement either way.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .audit import AuditRecord, AuditStore
from .decisions import wait_for_record
from .incidents import INCIDENT, Incident, IncidentError, IncidentRegister
from .killswitch import KILL_SWITCH, KillSwitch, KillSwitchState
from .logs import get_logger

ROLLBACK = "rollback"
log = get_logger(__name__)


@dataclass(frozen=True)
class Switched:
    """The kill switch after a change, its audit record (None if not recorded) and the incident opened."""

    state: KillSwitchState
    record_id: str | None
    incident: Incident | None


def audit(store: AuditStore | None, kind: str, body: dict[str, Any], timeout: float) -> AuditRecord | None:
    """Write ``body`` durably and return the record, or None (logged) when the trail is closed or failing."""
    try:
        if store is None:
            raise RuntimeError("the audit trail is not open")
        return wait_for_record(store.submit(kind, body), timeout)
    except Exception as exc:  # the caller reports the failure; the control itself must not crash
        log.error("audit_write_failed", kind=kind, error_type=type(exc).__name__, reason=str(exc))
        return None


def audit_later(store: AuditStore | None, kind: str, body: dict[str, Any]) -> None:
    """Queue ``body`` without waiting (request paths); a failure is logged."""
    if store is None:
        log.error("audit_write_failed", kind=kind, reason="the audit trail is not open")
        return

    def done(future: Future[AuditRecord]) -> None:
        if future.exception() is not None:
            log.error("audit_write_failed", kind=kind, reason=str(future.exception()))

    try:
        store.submit(kind, body).add_done_callback(done)
    except Exception as exc:  # a closed store must not fail the request that noticed the incident
        log.error("audit_write_failed", kind=kind, error_type=type(exc).__name__, reason=str(exc))


def open_incident(
    register: IncidentRegister | None,
    store: AuditStore | None,
    kind: str,
    key: str,
    summary: str,
    **details: Any,
) -> Incident | None:
    """Open an incident unless one with ``key`` is open; audited without waiting. None if none was opened."""
    if register is None:
        log.error("incident_not_opened", kind=kind, key=key, reason="the incident register is not open")
        return None
    try:
        incident = register.open(kind, key, summary, details, by="service")
    except Exception as exc:  # a register failure must not break scoring; it is logged for the on-call person
        log.error("incident_not_opened", kind=kind, key=key, error_type=type(exc).__name__, reason=str(exc))
        return None
    if incident is not None:
        log.warning("incident_opened", incident_id=incident.id, kind=kind, key=key)
        audit_later(store, INCIDENT, {"action": "opened", **incident.to_json()})
    return incident


def close_incident(
    register: IncidentRegister,
    store: AuditStore | None,
    incident_id: int,
    *,
    note: str,
    by: str,
    timeout: float,
) -> tuple[Incident, str | None]:
    """Close an incident with a note; the closure is audited (the record id, or None if it failed)."""
    incident = register.resolve(incident_id, note, by)
    record = audit(store, INCIDENT, {"action": "closed", **incident.to_json()}, timeout)
    return incident, record.id if record else None


def switch_kill_switch(
    switch: KillSwitch,
    register: IncidentRegister | None,
    store: AuditStore | None,
    *,
    engaged: bool,
    reason: str,
    by: str,
    timeout: float,
) -> Switched:
    """Engage or release the kill switch for every worker, audit it, and open an incident when engaging."""
    previous = switch.state()
    state = switch.set(engaged=engaged, reason=reason, by=by)
    log.warning("kill_switch_switched", engaged=engaged, by=by)
    body = {
        "engaged": engaged,
        "reason": reason,
        "by": by,
        "at": state.changed_at,
        "was_engaged": previous.engaged,
    }
    record = audit(store, KILL_SWITCH, body, timeout)
    incident = None
    if engaged:
        incident = open_incident(
            register,
            store,
            KILL_SWITCH,
            KILL_SWITCH,
            "kill switch engaged: automated decisions suspended",
            **body,
        )
    return Switched(state, record.id if record else None, incident)


__all__ = [
    "ROLLBACK",
    "IncidentError",
    "Switched",
    "audit",
    "audit_later",
    "close_incident",
    "open_incident",
    "switch_kill_switch",
]
