"""A resilient client for the vendor's REST API.

Each call goes through, in order: the known maintenance windows (the vendor is skipped while one is open),
the bulkhead (at most ``max_concurrent`` calls in flight), then per attempt the budget (each request sent
costs ``cost_per_call``) and the circuit breaker. An attempt that times out, cannot connect or gets a 5xx or
429 counts as a failure; it is retried with exponential back-off and full jitter only when repeating it is
safe: GET, HEAD, OPTIONS, PUT and DELETE, a POST or PATCH that carries an idempotency key, or any request
that never reached the vendor (the connection failed). A 4xx is the caller's answer and is not retried.
When the vendor cannot answer, :meth:`VendorClient.call` returns the caller's fallback instead.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from prometheus_client import CollectorRegistry

from ..integrations import IntegrationContext
from ..logs import get_logger
from ..tracing import tracer
from ._breaker import CircuitBreaker
from ._budget import Budget
from ._metrics import VendorMetrics
from ._vendor import VENDOR_NAME
from ._windows import MaintenanceSchedule, zone
from .settings import VendorApiSettings

T = TypeVar("T")
log = get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods whose repetition has the effect of one call (RFC 9110 idempotent methods)."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SERVER_ERROR = 500


class VendorError(Exception):
    """Root of this client's errors."""


class VendorUnavailableError(VendorError):
    """The vendor could not answer this call. ``reason`` is an outcome of ``OUTCOMES`` (``maintenance``,
    ``circuit_open``, ``bulkhead_full``, ``budget_exhausted``, ``timeout``, ``connection_error`` or
    ``server_error``); ``attempts`` is how many requests were sent."""

    def __init__(self, reason: str, message: str, *, attempts: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts


class VendorRequestError(VendorError):
    """The vendor refused the request (a 4xx): retrying it would not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Failure:
    reason: str
    detail: str
    sent: bool  # the request may have reached the vendor (only then does idempotency matter)
    retry_after: float | None = None


class VendorClient:
    """The vendor's API behind timeouts, retries, a circuit breaker, maintenance windows, a bulkhead and a
    budget. Thread-safe; one per app (its metrics live on the app's registry)."""

    def __init__(
        self,
        settings: VendorApiSettings,
        registry: CollectorRegistry,
        context: IntegrationContext | None = None,
        *,
        vendor: str = VENDOR_NAME,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.vendor = vendor
        self.integration = f"vendor-api:{vendor}"
        self.context = context
        self.metrics = VendorMetrics(registry, vendor, settings.currency)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds)
        self.schedule = MaintenanceSchedule(settings.maintenance_windows, zone(settings.maintenance_timezone))
        self.budget = Budget(settings.budget, settings.budget_period, zone(settings.budget_timezone), clock)
        self._slots = threading.BoundedSemaphore(settings.max_concurrent)
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._clock = clock
        self.http = _http_client(settings)
        self._watch()

    def _watch(self) -> None:
        vendor, currency = self.vendor, self.settings.currency
        self.metrics.circuit_open.labels(vendor).set_function(lambda: float(self.breaker.state == "open"))
        self.metrics.in_maintenance.labels(vendor).set_function(lambda: float(self.maintenance_until() is not None))
        self.metrics.budget_remaining.labels(vendor, currency).set_function(self.budget.remaining)
        self.metrics.spend.labels(vendor, currency)
        self.metrics.retries.labels(vendor)

    def maintenance_until(self) -> datetime | None:
        """The end (UTC) of the maintenance window open now, or None."""
        return self.schedule.open_until(self._clock())

    def call(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        fallback: Callable[[VendorUnavailableError], T] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        cost: float | None = None,
        operation: str | None = None,
    ) -> T:
        """``parse(response)`` of the vendor's answer, or ``fallback(error)`` when the vendor cannot answer.

        The fallback is not used past the budget when ``on_budget_exhausted`` is ``refuse``: the
        :class:`VendorUnavailableError` is raised then, as it is when there is no fallback.
        """
        try:
            response = self.request(
                method,
                path,
                params=params,
                json=json,
                headers=headers,
                idempotency_key=idempotency_key,
                cost=cost,
                operation=operation,
            )
        except VendorUnavailableError as exc:
            refused = exc.reason == "budget_exhausted" and self.settings.on_budget_exhausted == "refuse"
            if fallback is None or refused:
                raise
            self.metrics.fallbacks.labels(self.vendor, exc.reason).inc()
            return fallback(exc)
        return parse(response)

    def get_json(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        fallback: Callable[[VendorUnavailableError], Any] | None = None,
        operation: str | None = None,
    ) -> Any:
        """GET ``path`` and decode its JSON; a 4xx raises :class:`VendorRequestError`."""
        return self.call("GET", path, json_body, fallback=fallback, params=params, operation=operation)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        cost: float | None = None,
        operation: str | None = None,
    ) -> httpx.Response:
        """Send one call (with its retries); the vendor's response, 4xx included, or VendorUnavailableError."""
        method = method.upper()
        if "://" in path or path.startswith("//"):
            msg = "pass a path relative to the vendor's URL: the API key must never go to another host"
            raise ValueError(msg)
        headers = dict(headers or {})
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        request = self.http.build_request(method, path, params=params, json=json, headers=headers)
        retryable = method in SAFE_METHODS or idempotency_key is not None
        price = self.settings.cost_per_call if cost is None else cost
        with self._observed(method, operation or method) as outcome:
            response = self._bulkheaded(request, retryable=retryable, cost=price)
            outcome[0] = "ok" if response.status_code < 400 else "client_error"  # noqa: PLR2004
            return response

    @contextmanager
    def _observed(self, method: str, operation: str) -> Iterator[list[str]]:
        started = time.perf_counter()
        outcome = ["ok"]
        attributes = {"vendor": self.vendor, "http.method": method, "operation": operation}
        with tracer.start_as_current_span("vendor_api.call", attributes=attributes) as span:
            try:
                yield outcome
            except VendorUnavailableError as exc:
                outcome[0] = exc.reason
                span.set_attribute("attempts", exc.attempts)
                raise
            finally:
                span.set_attribute("outcome", outcome[0])
                self.metrics.calls.labels(self.vendor, outcome[0]).inc()
                self.metrics.duration.labels(self.vendor, outcome[0]).observe(time.perf_counter() - started)

    def _bulkheaded(self, request: httpx.Request, *, retryable: bool, cost: float) -> httpx.Response:
        until = self.maintenance_until()
        if until is not None:
            msg = f"{self.vendor} is in a known maintenance window until {until:%Y-%m-%d %H:%M} UTC"
            raise VendorUnavailableError("maintenance", msg)
        wait = self.settings.bulkhead_wait_seconds
        if not (self._slots.acquire(timeout=wait) if wait > 0 else self._slots.acquire(blocking=False)):
            msg = f"{self.settings.max_concurrent} calls to {self.vendor} are in flight already (bulkhead full)"
            raise VendorUnavailableError("bulkhead_full", msg)
        self.metrics.in_flight.labels(self.vendor).inc()
        try:
            return self._attempts(request, retryable=retryable, cost=cost)
        finally:
            self.metrics.in_flight.labels(self.vendor).dec()
            self._slots.release()

    def _attempts(self, request: httpx.Request, *, retryable: bool, cost: float) -> httpx.Response:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self._admit(cost, attempt)
            if attempt > 1:
                self.metrics.retries.labels(self.vendor).inc()
            result = self._send(request)
            if isinstance(result, httpx.Response):
                return result
            pause = self._pause(attempt, result)
            may_retry = retryable or not result.sent
            if not may_retry or attempt >= self.settings.max_attempts or pause is None:
                break
            if self.breaker.state == "open":  # this failure opened it: waiting to be refused helps nobody
                break
            if time.monotonic() - started + pause > self.settings.deadline_seconds:
                break
            self._sleep(pause)
        msg = f"{self.vendor} failed after {attempt} attempt(s): {result.detail}"
        raise VendorUnavailableError(result.reason, msg, attempts=attempt)

    def _admit(self, cost: float, attempt: int) -> None:
        """Charge the budget and pass the breaker before each attempt, or refuse the call."""
        if not self.budget.charge(cost):
            limit = f"{self.budget.limit:g} {self.settings.currency}"
            msg = f"the {self.settings.budget_period}'s budget for {self.vendor} is spent ({limit})"
            raise VendorUnavailableError("budget_exhausted", msg, attempts=attempt - 1)
        if not self.breaker.allow():
            self.budget.refund(cost)
            cooldown = self.settings.breaker_cooldown_seconds
            msg = f"the circuit to {self.vendor} is open after repeated failures; next trial within {cooldown:g} s"
            raise VendorUnavailableError("circuit_open", msg, attempts=attempt - 1)
        if cost > 0:
            self.metrics.spend.labels(self.vendor, self.settings.currency).inc(cost)

    def _send(self, request: httpx.Request) -> httpx.Response | _Failure:
        """One attempt; a response the caller gets (2xx-4xx), or why it failed. Feeds the breaker."""
        started = time.perf_counter()
        with tracer.start_as_current_span("vendor_api.attempt", attributes={"vendor": self.vendor}) as span:
            result = self._exchange(request)
            label = result.reason if isinstance(result, _Failure) else f"{result.status_code // 100}xx"
            span.set_attribute("result", label)
        self.metrics.attempts.labels(self.vendor, label).inc()
        self._count(ok=not isinstance(result, _Failure), seconds=time.perf_counter() - started)
        if isinstance(result, _Failure):
            if self.breaker.record_failure():
                log.warning("vendor_circuit_open", vendor=self.vendor, reason=result.detail)
        elif self.breaker.record_success():
            log.info("vendor_circuit_closed", vendor=self.vendor)
        return result

    def _count(self, *, ok: bool, seconds: float) -> None:
        """The attempt in the service's ``integration_calls_total`` and ``integration_call_duration_seconds``."""
        if self.context is not None:
            self.context.metrics.integration_calls.labels(self.integration, "ok" if ok else "error").inc()
            self.context.metrics.integration_latency.labels(self.integration).observe(seconds)

    def _exchange(self, request: httpx.Request) -> httpx.Response | _Failure:
        try:
            response = self.http.send(request)
        except httpx.ConnectTimeout:
            return _Failure("timeout", "connect timed out", sent=False)
        except httpx.TimeoutException as exc:
            return _Failure("timeout", f"{type(exc).__name__}: no answer in time", sent=True)
        except httpx.ConnectError as exc:
            return _Failure("connection_error", f"cannot connect ({exc})", sent=False)
        except httpx.HTTPError as exc:  # a broken transfer, an undecodable body
            return _Failure("connection_error", f"{type(exc).__name__}: {exc}", sent=True)
        if response.status_code in _RETRY_STATUSES or response.status_code >= _SERVER_ERROR:
            detail = f"HTTP {response.status_code}"
            return _Failure("server_error", detail, sent=True, retry_after=_retry_after(response))
        return response

    def _pause(self, attempt: int, failure: _Failure) -> float | None:
        """The back-off before the next attempt (full jitter), or None when the vendor asks for longer."""
        ceiling = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2 ** (attempt - 1))
        pause = self._rng.uniform(0, ceiling)
        if failure.retry_after is not None:
            if failure.retry_after > self.settings.backoff_max_seconds:
                return None
            pause = max(pause, failure.retry_after)
        return pause

    def check(self) -> None:
        """Raise :class:`VendorUnavailableError` when calls would not reach the vendor now (the readiness check)."""
        until = self.maintenance_until()
        if until is not None:
            msg = f"in a known maintenance window until {until:%Y-%m-%d %H:%M} UTC"
            raise VendorUnavailableError("maintenance", msg)
        if self.breaker.state == "open":
            raise VendorUnavailableError("circuit_open", "the circuit is open after repeated failures")
        if self.budget.exhausted():
            raise VendorUnavailableError("budget_exhausted", f"the {self.settings.budget_period}'s budget is spent")
        if self.settings.health_path:
            self._probe()

    def _probe(self) -> None:
        try:
            response = self.http.get(self.settings.health_path)
        except httpx.HTTPError as exc:
            msg = f"{self.settings.health_path} did not answer: {type(exc).__name__}"
            raise VendorUnavailableError("connection_error", msg) from None
        if response.status_code >= 400:  # noqa: PLR2004
            msg = f"{self.settings.health_path} answered HTTP {response.status_code}"
            raise VendorUnavailableError("server_error", msg)

    async def health(self) -> None:
        """The readiness check: :meth:`check` off the event loop."""
        await asyncio.to_thread(self.check)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    async def aclose(self) -> None:
        """The shutdown hook: :meth:`close`."""
        self.close()


def json_body(response: httpx.Response) -> Any:
    """The JSON of a successful response; :class:`VendorRequestError` for a 4xx."""
    if response.status_code >= 400:  # noqa: PLR2004
        msg = f"the vendor refused the request: HTTP {response.status_code}"
        raise VendorRequestError(response.status_code, msg)
    return response.json() if response.content else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _http_client(settings: VendorApiSettings) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    timeout = httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds)
    limits = httpx.Limits(max_connections=settings.max_concurrent, max_keepalive_connections=settings.max_concurrent)
    return httpx.Client(
        base_url=settings.url.rstrip("/") + "/",
        headers=headers,
        timeout=timeout,
        transport=httpx.HTTPTransport(retries=0, limits=limits),  # retries are ours, for safe calls only
        follow_redirects=False,
    )
