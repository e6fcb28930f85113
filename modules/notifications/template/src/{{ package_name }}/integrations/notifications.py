"""Alerts to compliance officers: added by the notifications module (the code is in ``../notifications/``).

The module listens to the audit trail (``on_audit``) and sends its alerts from a background thread. It is
optional: when a channel's last delivery failed, ``/readyz`` reports ``notifications`` as ``degraded: ...``
and the service stays ready. Settings: ``<PREFIX>NOTIFICATIONS_*``.
"""

from __future__ import annotations

from ..notifications import NotificationsSettings, Notifier, register
from . import Integration, IntegrationContext


def integration(context: IntegrationContext) -> Integration:
    """Build the app's notifier (its thread starts with the app) and listen to the audit trail."""
    notifier = Notifier(NotificationsSettings(), context.metrics.registry, track=context.track)
    register(context.metrics.registry, notifier)
    return Integration(
        "notifications",
        check=notifier.health,
        startup=notifier.astart,
        shutdown=notifier.aclose,
        on_audit=notifier.on_audit,
        required=False,
    )
