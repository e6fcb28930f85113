"""Alerts to compliance officers by email, Slack or Microsoft Teams (added by the notifications module).

The service tells the module of every audit record it writes (``Integration.on_audit``); four kinds of
event raise an alert: a decision referred to a person, an incident opened, the kill switch engaged, and
population drift over the threshold. Alerts are rendered from ``templates/<event>.txt``, de-duplicated,
queued and sent from a background thread: the request that raised one never waits for it.

To raise an alert of your own from a route::

    from .notifications import Alert, get_notifier
    get_notifier(request).publish(Alert("incident_opened", key="bureau-down", fields={...}))
"""

from __future__ import annotations

import weakref

from fastapi import Request
from prometheus_client import CollectorRegistry

from ._channels import (
    Channel,
    DeliveryError,
    EmailChannel,
    PermanentError,
    TransientError,
    WebhookChannel,
    slack_payload,
    teams_payload,
)
from ._events import (
    DECISION_REFERRED,
    DRIFT_ALERT,
    EVENTS,
    FIELDS,
    INCIDENT_OPENED,
    KILL_SWITCH_ENGAGED,
    Alert,
    alert_for,
)
from ._metrics import DROP_REASONS, NotificationMetrics
from ._notifier import Notifier, TokenBucket
from ._templates import Message, TemplateError, Templates
from .settings import NotificationsSettings

__all__ = [
    "DECISION_REFERRED",
    "DRIFT_ALERT",
    "DROP_REASONS",
    "EVENTS",
    "FIELDS",
    "INCIDENT_OPENED",
    "KILL_SWITCH_ENGAGED",
    "Alert",
    "Channel",
    "DeliveryError",
    "EmailChannel",
    "Message",
    "NotificationMetrics",
    "NotificationsSettings",
    "Notifier",
    "PermanentError",
    "TemplateError",
    "Templates",
    "TokenBucket",
    "TransientError",
    "WebhookChannel",
    "alert_for",
    "get_notifier",
    "notifier_for",
    "register",
    "slack_payload",
    "teams_payload",
]

_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, Notifier] = weakref.WeakKeyDictionary()


def register(registry: CollectorRegistry, notifier: Notifier) -> None:
    """File ``notifier`` under the app whose metrics live in ``registry``."""
    _BY_REGISTRY[registry] = notifier


def get_notifier(request: Request) -> Notifier:
    """FastAPI dependency: the app's notifier."""
    return notifier_for(request.app.state.metrics.registry)


def notifier_for(registry: CollectorRegistry) -> Notifier:
    """The notifier built for the app whose metrics live in ``registry``."""
    try:
        return _BY_REGISTRY[registry]
    except KeyError:
        msg = "this app was built without the notifications integration (create_app(integrations=[]) in a test?)"
        raise LookupError(msg) from None
