"""The cache's Prometheus metrics, on the service's registry. Labels are namespaces chosen in code
(``sanctions``) and the currency: never keys, which may hold personal data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

RESULTS = ("hit", "coalesced", "miss", "bypass", "wait_timeout")
"""``hit``: found in Redis. ``coalesced``: waited for another caller computing the same key.
``miss``: computed and stored. ``bypass``: Redis unavailable (or circuit open), computed directly.
``wait_timeout``: the computing caller took longer than ``lock_wait_seconds``, computed directly."""


class CacheMetrics:
    """Lookups by result, costs saved and spent, Redis failures and the circuit state."""

    def __init__(self, registry: CollectorRegistry, currency: str) -> None:
        self.registry = registry
        self.currency = currency
        self.lookups = Counter(
            "cache_lookups", "Cache lookups by namespace and result.", ["namespace", "result"], registry=registry
        )
        self.cost_saved = Counter(
            "cache_cost_saved",
            "Cost of the calls the cache answered (hit or coalesced), by namespace.",
            ["namespace", "currency"],
            registry=registry,
        )
        self.cost_spent = Counter(
            "cache_cost_spent",
            "Cost of the calls that went to the expensive function, by namespace.",
            ["namespace", "currency"],
            registry=registry,
        )
        self.redis_errors = Counter(
            "cache_redis_errors", "Redis commands that failed (refused, timed out, errors).", registry=registry
        )
        self.circuit_open = Gauge(
            "cache_circuit_open", "1 while the circuit breaker sends calls past Redis.", registry=registry
        )

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when it was never set): for tests and benchmarks."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def lookup(self, namespace: str, result: str, cost: float) -> None:
        """Count one lookup and its cost: saved for hits, spent for calls made."""
        self.lookups.labels(namespace, result).inc()
        if cost > 0:
            target = self.cost_saved if result in {"hit", "coalesced"} else self.cost_spent
            target.labels(namespace, self.currency).inc(cost)
