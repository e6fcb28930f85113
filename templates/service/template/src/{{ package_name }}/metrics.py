"""Prometheus metrics. Labels are route templates, methods, status codes and decisions: never personal data."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    """The service's metrics, in a registry of its own (one per app, so tests do not collide)."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to serve a request, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "scoring_decisions", "Scoring decisions by outcome.", ["decision"], registry=self.registry
        )
        self.scores = Histogram(
            "scoring_probability_of_default",
            "Distribution of predicted probabilities of default.",
            buckets=(0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0),
            registry=self.registry,
        )
        self.model_info = Gauge(
            "model_info", "The loaded model (value 1).", ["name", "version", "sha256"], registry=self.registry
        )
        self.model_ready = Gauge("model_ready", "1 when a verified model is loaded.", registry=self.registry)
        self.integration_calls = Counter(
            "integration_calls",
            "Calls to external systems by integration and outcome (ok, error).",
            ["integration", "outcome"],
            registry=self.registry,
        )
        self.integration_latency = Histogram(
            "integration_call_duration_seconds",
            "Time of calls to external systems, by integration.",
            ["integration"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.integration_ready = Gauge(
            "integration_ready",
            "1 when the integration's readiness check passed last time.",
            ["integration"],
            registry=self.registry,
        )
        self.drift_psi = Gauge(
            "feature_drift_psi",
            "Population stability index of recent requests against the training baseline, per feature "
            "(feature='score' for the model's output).",
            ["feature"],
            registry=self.registry,
        )
        self.kill_switch_engaged = Gauge(
            "kill_switch_engaged",
            "1 while the kill switch suspends automated model decisions (read from the shared switch file).",
            registry=self.registry,
        )
        self.review_queue_depth = Gauge(
            "review_queue_depth", "Cases waiting for a human reviewer (read at each scrape).", registry=self.registry
        )
        self.audit_write_failures = Counter(
            "audit_write_failures", "Decisions whose audit record could not be written.", registry=self.registry
        )
        self.audit_write_seconds = Histogram(
            "audit_write_seconds",
            "Time from submitting an audit record to its durable commit.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
