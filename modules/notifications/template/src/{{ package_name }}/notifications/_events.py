"""Which audit records raise an alert, and what the alert may say.

The service hands each audit record to the module (``Integration.on_audit``); :func:`alert_for` turns the
few that matter to compliance officers into an :class:`Alert`. An alert carries identifiers, reasons and
model versions, never the decision's inputs (``features``), which may hold personal data, and no field of
any one use case: it works for credit, fraud or claims decisions alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DECISION_REFERRED = "decision_referred"
INCIDENT_OPENED = "incident_opened"
KILL_SWITCH_ENGAGED = "kill_switch_engaged"
DRIFT_ALERT = "drift_alert"
EVENTS = (DECISION_REFERRED, INCIDENT_OPENED, KILL_SWITCH_ENGAGED, DRIFT_ALERT)

FIELDS: dict[str, tuple[str, ...]] = {
    DECISION_REFERRED: ("service", "request_id", "referral", "model", "decided_at"),
    INCIDENT_OPENED: ("service", "incident_id", "kind", "summary", "opened_at", "opened_by"),
    KILL_SWITCH_ENGAGED: ("service", "reason", "by", "at"),
    DRIFT_ALERT: ("service", "incident_id", "feature", "psi", "summary", "opened_at"),
}
"""The placeholders each event's template may use (``$request_id``...)."""


@dataclass(frozen=True)
class Alert:
    """One event to tell the compliance officers about: ``key`` identifies it for de-duplication."""

    event: str
    key: str
    fields: dict[str, str] = field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def alert_for(kind: str, body: Mapping[str, Any], service: str) -> Alert | None:
    """The alert an audit record of ``kind`` raises, or None."""
    if kind == "decision" and body.get("decision") == "refer":
        model = body.get("model") or {}
        return Alert(
            DECISION_REFERRED,
            f"decision:{body.get('request_id')}",
            {
                "service": service,
                "request_id": _text(body.get("request_id")),
                "referral": _text(body.get("referral")) or "refer",
                "model": f"{model.get('name', '?')} {model.get('version', '?')}",
                "decided_at": _text(body.get("decided_at")),
            },
        )
    if kind == "kill_switch" and body.get("engaged") is True:
        return _kill_switch(body, service)
    if kind == "incident" and body.get("action") == "opened":
        details = body.get("details") or {}
        if body.get("kind") == "kill_switch":
            return _kill_switch(details, service)
        if body.get("kind") == "drift":
            return Alert(
                DRIFT_ALERT,
                f"drift:{body.get('key')}",
                {
                    "service": service,
                    "incident_id": _text(body.get("id")),
                    "feature": _text(details.get("feature")),
                    "psi": f"{float(details.get('psi', 0.0)):.3f}",
                    "summary": _text(body.get("summary")),
                    "opened_at": _text(body.get("opened_at")),
                },
            )
        return Alert(
            INCIDENT_OPENED,
            f"incident:{body.get('kind')}:{body.get('key')}",
            {
                "service": service,
                "incident_id": _text(body.get("id")),
                "kind": _text(body.get("kind")),
                "summary": _text(body.get("summary")),
                "opened_at": _text(body.get("opened_at")),
                "opened_by": _text(body.get("opened_by")),
            },
        )
    return None


def _kill_switch(body: Mapping[str, Any], service: str) -> Alert:
    """The kill switch record and the incident it opens are one alert (one key)."""
    fields = {"service": service, "reason": _text(body.get("reason")), "by": _text(body.get("by"))}
    return Alert(KILL_SWITCH_ENGAGED, "kill_switch", fields | {"at": _text(body.get("at"))})
