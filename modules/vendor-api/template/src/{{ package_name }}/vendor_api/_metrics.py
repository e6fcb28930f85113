"""The vendor client's Prometheus metrics, on the service's registry. Labels are the vendor's name and
fixed outcome words: never paths or payloads, which may hold personal data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OUTCOMES = (
    "ok",
    "client_error",
    "server_error",
    "timeout",
    "connection_error",
    "maintenance",
    "circuit_open",
    "bulkhead_full",
    "budget_exhausted",
)
"""``ok``: 2xx/3xx. ``client_error``: a 4xx other than 429 (returned to the caller, not retried). ``server_error``,
``timeout``, ``connection_error``: the last attempt failed so. The rest never reached the vendor: a known
maintenance window, the open circuit, no free bulkhead slot, or the budget spent."""


class VendorMetrics:
    """Calls by outcome, attempts, retries, fallbacks, spend, circuit and bulkhead state."""

    def __init__(self, registry: CollectorRegistry, vendor: str, currency: str) -> None:
        self.registry = registry
        self.vendor = vendor
        self.currency = currency
        self.calls = Counter("vendor_api_calls", "Vendor calls by outcome.", ["vendor", "outcome"], registry=registry)
        self.attempts = Counter(
            "vendor_api_attempts", "Requests sent to the vendor, by result.", ["vendor", "result"], registry=registry
        )
        self.retries = Counter("vendor_api_retries", "Attempts that were retries.", ["vendor"], registry=registry)
        self.fallbacks = Counter(
            "vendor_api_fallbacks",
            "Calls answered by the caller's fallback, by reason.",
            ["vendor", "reason"],
            registry=registry,
        )
        self.spend = Counter(
            "vendor_api_spend", "Cost of the requests sent to the vendor.", ["vendor", "currency"], registry=registry
        )
        self.budget_remaining = Gauge(
            "vendor_api_budget_remaining",
            "Budget left in the current period.",
            ["vendor", "currency"],
            registry=registry,
        )
        self.circuit_open = Gauge(
            "vendor_api_circuit_open", "1 while the circuit breaker skips the vendor.", ["vendor"], registry=registry
        )
        self.in_maintenance = Gauge(
            "vendor_api_in_maintenance", "1 during a known maintenance window.", ["vendor"], registry=registry
        )
        self.in_flight = Gauge("vendor_api_in_flight", "Calls holding a bulkhead slot.", ["vendor"], registry=registry)
        self.duration = Histogram(
            "vendor_api_call_duration_seconds",
            "Duration of a call (its retries included), by outcome.",
            ["vendor", "outcome"],
            registry=registry,
        )

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when never set), the vendor label filled in: for tests and benchmarks."""
        return self.registry.get_sample_value(name, {"vendor": self.vendor, **labels}) or 0.0
