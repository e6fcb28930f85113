"""The module's Prometheus metrics, on the service's registry. Labels are events, channels, outcomes and
reasons chosen in code: never an alert's content."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

DROP_REASONS = ("duplicate", "queue_full", "rate_limited", "disabled")


class NotificationMetrics:
    """Alerts raised, delivered, failed and dropped, attempts and delivery time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.raised = Counter(
            "notifications_raised", "Alerts raised by service events, by event.", ["event"], registry=registry
        )
        self.delivered = Counter(
            "notifications_delivered",
            "Alerts per channel by outcome (sent, failed after the attempts).",
            ["channel", "outcome"],
            registry=registry,
        )
        self.dropped = Counter(
            "notifications_dropped",
            "Alerts not sent: duplicate (within the window), queue_full, rate_limited (per channel), disabled.",
            ["channel", "reason"],
            registry=registry,
        )
        self.attempts = Counter(
            "notifications_attempts",
            "Delivery attempts by channel and result (ok, transient, permanent).",
            ["channel", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "notifications_delivery_seconds",
            "Time to deliver one alert on one channel, retries included.",
            ["channel"],
            registry=registry,
        )

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when it was never set): for tests."""
        return self.registry.get_sample_value(name, labels) or 0.0
