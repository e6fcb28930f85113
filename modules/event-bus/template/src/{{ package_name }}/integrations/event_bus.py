"""Event bus consumer: added by the event-bus module (see ``<package>/event_bus``).

Settings come from ``<PREFIX>EVENT_BUS_*`` environment variables. The consumer starts with the
service (lifespan startup), joins ``/readyz`` and finishes its in-flight messages at shutdown.
"""

from __future__ import annotations

from ..event_bus import EventBus, EventBusSettings
from . import Integration, IntegrationContext


def integration(context: IntegrationContext) -> Integration:
    """Register the consumer's lifespan hooks and readiness check with the service."""
    settings = EventBusSettings()
    bus = EventBus(settings, context)
    return Integration(
        "event-bus",
        check=bus.check,
        startup=bus.start,
        shutdown=bus.stop,
        check_timeout_seconds=settings.timeout_seconds,
    )
