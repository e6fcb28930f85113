"""Integrations: the extension point through which factory modules plug into the service.

A module adds one file to this package, ``integrations/<module>.py``, that defines
``integration(context: IntegrationContext) -> Integration``. At start-up the service imports every
module in this package and calls that function; nothing else in the service is edited. Then:

- each ``prepare`` hook runs at start-up before the model loads (e.g. to fetch the model artifact to the
  model path); if one raises, the model is not loaded, ``/readyz`` says why and the service stays up;
- each ``startup`` hook runs in the app's lifespan (and each ``shutdown`` hook when it stops);
- each ``check`` joins ``GET /readyz``: the service is ready only when the model is loaded and every
  check passes within its timeout; the check of an optional integration (``required=False``, such as
  a cache the service can work without) is reported as ``degraded: <why>`` and does not fail readiness;
- :attr:`IntegrationContext.score` scores an applicant exactly as ``POST /v1/score`` does (model,
  policy, explanation, audit record), for modules that take applicants from elsewhere (an event bus);
- calls wrapped in :meth:`IntegrationContext.track` appear in ``integration_calls_total`` and
  ``integration_call_duration_seconds`` (labels: integration and outcome, never request data);
- an ``audit_store`` opens the audit trail in place of the default SQLite file, both for the service
  and for ``audit verify|export|archive`` (at most one integration may provide one);
- an ``audit_witness`` keeps the signed chain heads in place of the default witness file, both for the
  service and for ``audit verify`` (at most one integration may provide one);
- an ``authenticator`` (see :class:`..access.Authenticator`) proves who callers are in place of the API
  keys, e.g. by validating OIDC tokens (at most one integration may provide one);
- an ``on_audit`` listener is told of each record the service hands to the audit trail (its kind and
  body: a decision, review, incident, kill switch change...), as it is handed over, so a module can
  react to service events (alert someone); it runs on the caller's thread and must not block.

A module reads its own settings (``<PREFIX><MODULE>_*`` environment variables) with pydantic-settings,
so adding a module never edits ``settings.py`` either.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from ..access import Authenticator
from ..audit import AuditRecord, AuditStore, StoreWrapper, WitnessFactory
from ..logs import get_logger
from ..metrics import Metrics
from ..schemas import Applicant, ScoreResponse
from ..settings import Settings
from ..tracing import tracer

Hook = Callable[[], Awaitable[None]]
AuditStoreFactory = Callable[[Settings], AuditStore]
AuditListener = Callable[[str, Mapping[str, Any]], None]
log = get_logger(__name__)


class IntegrationError(Exception):
    """An integration module is malformed (no ``integration`` function, or it raised)."""


@dataclass(frozen=True)
class Integration:
    """What one module contributes: a name, an optional readiness check, lifespan hooks and audit store.

    ``audit_store`` opens the audit trail from the service's settings; it raises ``AuditError`` when it
    cannot, and the service then refers every decision. ``audit_witness`` opens where the signed chain
    heads go instead of the witness file (see ``audit._witness``). ``data_region`` says where the module keeps data
    (a bucket's or a database's region), when it knows; the service refuses to start when that region is
    outside the required data residency (a module that does not know is declared with ``store_regions``).
    ``authenticator`` replaces the API keys as the way callers prove who they are.
    ``on_audit`` is called with the kind and body of each record submitted to the audit trail.
    """

    name: str
    check: Hook | None = None
    prepare: Hook | None = None
    startup: Hook | None = None
    shutdown: Hook | None = None
    check_timeout_seconds: float = 2.0
    required: bool = True
    audit_store: AuditStoreFactory | None = None
    audit_witness: WitnessFactory | None = None
    data_region: str | None = None
    authenticator: Authenticator | None = None
    on_audit: AuditListener | None = None


class Scorer(Protocol):
    """Scores one applicant as ``POST /v1/score`` does; raises ``NotReadyError`` while no model is loaded."""

    def __call__(self, applicant: Applicant, *, request_id: str, caller: str) -> ScoreResponse:
        """Score, decide, record in the audit trail (blocking: call it from a worker thread)."""
        ...


def _outside_a_service(applicant: Applicant, *, request_id: str, caller: str) -> ScoreResponse:
    del applicant, request_id, caller
    msg = "scoring needs a running service: create_app() gives each integration its score function"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class IntegrationContext:
    """What the service hands to each module: its settings, its metrics and its scoring function."""

    settings: Settings
    metrics: Metrics
    score: Scorer = _outside_a_service

    @contextmanager
    def track(self, integration: str) -> Iterator[None]:
        """Count and time one call to an external system; the outcome is ``ok`` or ``error``."""
        started = time.perf_counter()
        outcome = "error"
        with tracer.start_as_current_span("integration.call", attributes={"integration": integration}) as span:
            try:
                yield
                outcome = "ok"
            finally:
                span.set_attribute("outcome", outcome)
                self.metrics.integration_calls.labels(integration, outcome).inc()
                self.metrics.integration_latency.labels(integration).observe(time.perf_counter() - started)


def discover(context: IntegrationContext) -> list[Integration]:
    """Import every module of this package and build its integration (sorted by module name)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        factory = getattr(module, "integration", None)
        if not callable(factory):
            msg = f"{module.__name__} defines no integration(context) function"
            raise IntegrationError(msg)
        found.append(factory(context))
    return found


def _sole_provider(integrations: Iterable[Integration], attribute: str, what: str) -> Integration | None:
    """The one integration that sets ``attribute``, or None; two providers are an error."""
    providers = [i for i in integrations if getattr(i, attribute) is not None]
    if len(providers) > 1:
        names = ", ".join(i.name for i in providers)
        msg = f"several integrations provide {what} ({names}): remove all but one of these modules"
        raise IntegrationError(msg)
    return providers[0] if providers else None


def audit_store_factory(integrations: Iterable[Integration]) -> AuditStoreFactory | None:
    """The audit store an integration provides, or None for the default SQLite file."""
    provider = _sole_provider(integrations, "audit_store", "the audit store")
    return provider.audit_store if provider else None


def audit_witness_factory(integrations: Iterable[Integration]) -> WitnessFactory | None:
    """The witness an integration provides, or None for the default witness file."""
    provider = _sole_provider(integrations, "audit_witness", "the audit witness")
    return provider.audit_witness if provider else None


def authenticator_for(integrations: Iterable[Integration], default: Authenticator) -> Authenticator:
    """The authenticator an integration provides, or ``default`` (API keys)."""
    provider = _sole_provider(integrations, "authenticator", "authentication of callers")
    return provider.authenticator or default if provider else default


class _ObservedStore(StoreWrapper):
    """The audit store, telling the integrations' listeners of each record submitted to it."""

    def __init__(self, store: AuditStore, listeners: list[tuple[str, AuditListener]]) -> None:
        super().__init__(store)
        self._listeners = listeners

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue the record, then tell each listener (a failing listener is logged, never raised)."""
        future = self.store.submit(kind, body)
        for name, listen in self._listeners:
            try:
                listen(kind, body)
            except Exception as exc:  # a listener's bug must never fail the decision or control it observes
                log.error("integration_listener_failed", integration=name, error_type=type(exc).__name__)
        return future


def observe_audit(store: AuditStore | None, integrations: Iterable[Integration]) -> AuditStore | None:
    """``store`` telling the integrations' ``on_audit`` listeners of each record (itself when none listens)."""
    listeners = [(i.name, i.on_audit) for i in integrations if i.on_audit is not None]
    if store is None or not listeners:
        return store
    return _ObservedStore(store, listeners)
