"""The sender: a bounded queue and one worker thread, so no alert ever blocks a request.

``publish`` (called on the request path, through the audit listener) only de-duplicates and enqueues; it
never waits. The worker renders each alert and delivers it on every channel, each channel limited by a
token bucket, retrying transient failures with exponential back-off. What cannot be queued, is a
duplicate within the window, or exceeds a channel's rate is dropped and counted
(``notifications_dropped_total{reason}``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from .._meta import PROJECT_NAME
from ..logs import get_logger
from ..tracing import tracer
from ._channels import Channel, DeliveryError, TransientError, channels
from ._events import Alert, alert_for
from ._metrics import NotificationMetrics
from ._templates import Message, Templates
from .settings import NotificationsSettings

log = get_logger(__name__)
Track = Callable[[str], AbstractContextManager[None]]


@contextmanager
def _untracked(_: str) -> Iterator[None]:
    yield


class TokenBucket:
    """``rate_per_minute`` tokens a minute, at most ``burst`` saved up; thread-safe."""

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one token if there is one."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class Notifier:
    """De-duplicates, queues and sends alerts to the configured channels from a background thread."""

    def __init__(
        self,
        settings: NotificationsSettings,
        registry: CollectorRegistry,
        *,
        targets: Sequence[Channel] | None = None,
        track: Track = _untracked,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.metrics = NotificationMetrics(registry)
        self.templates = Templates(settings.events, settings.templates_dir)
        self.channels = list(channels(settings) if targets is None else targets)
        self.buckets = {c.name: TokenBucket(settings.rate_per_minute, settings.burst, clock) for c in self.channels}
        self.last_error: dict[str, str] = {}
        self._enabled = frozenset(settings.events)
        self._track = track
        self._clock = clock
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=settings.queue_size)
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> when raised, oldest first
        self._seen_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._busy = 0

    # request path -------------------------------------------------------------------------------------
    def on_audit(self, kind: str, body: Mapping[str, Any]) -> None:
        """The service's audit listener: raise the alert this record calls for, if any (never blocks)."""
        alert = alert_for(kind, body, PROJECT_NAME)
        if alert is not None:
            self.publish(alert)

    def publish(self, alert: Alert) -> bool:
        """Queue ``alert`` unless it is disabled, a duplicate within the window, or the queue is full."""
        if alert.event not in self._enabled:
            self.metrics.dropped.labels("all", "disabled").inc()
            return False
        self.metrics.raised.labels(alert.event).inc()
        now = self._clock()
        with self._seen_lock:
            self._forget_before(now - self.settings.dedup_window_seconds)
            if alert.key in self._seen:
                self.metrics.dropped.labels("all", "duplicate").inc()
                return False
            self._seen[alert.key] = now
        with self._idle:
            self._busy += 1
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            with self._idle:
                self._busy -= 1
            with self._seen_lock:
                self._seen.pop(alert.key, None)  # not sent: a later occurrence may try again
            self.metrics.dropped.labels("all", "queue_full").inc()
            log.warning("notification_dropped", notification_event=alert.event, reason="queue_full")
            return False
        return True

    def _forget_before(self, cutoff: float) -> None:
        """Drop the keys raised before ``cutoff``: O(1) a call on average, the oldest are first."""
        while self._seen:
            key, raised = next(iter(self._seen.items()))
            if raised > cutoff:
                return
            del self._seen[key]

    # worker -------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None:
            return
        if not self.channels:
            log.warning("notifications_no_channel", hint="set SMTP_HOST and MAIL_TO, or a Slack or Teams webhook URL")
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
        self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued for up to ``timeout`` seconds (``SHUTDOWN_SECONDS``), then stop."""
        thread = self._thread
        if thread is None:
            return
        wait = self.settings.shutdown_seconds if timeout is None else timeout
        with contextlib.suppress(queue.Full):  # the worker then stops at the event below
            self._queue.put(None, timeout=max(wait, 0.01))
        thread.join(wait)
        self._stopping.set()  # interrupts a back-off still in progress
        thread.join(1.0)
        self._thread = None

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued alert has been handled (for tests and shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    async def astart(self) -> None:
        """Lifespan start-up hook."""
        self.start()

    async def aclose(self) -> None:
        """Lifespan shutdown hook."""
        self.close()

    async def health(self) -> None:
        """``/readyz``: fails (degraded: optional) when the worker died or a channel's last delivery failed."""
        if self._thread is not None and not self._thread.is_alive():
            raise RuntimeError("the notification worker stopped")
        failing = {name: error for name, error in self.last_error.items() if error}
        if failing:
            raise RuntimeError("; ".join(f"{name}: {error}" for name, error in sorted(failing.items())))

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            try:
                self._handle(alert)
            except Exception as exc:  # one bad alert must not stop the worker
                log.error("notification_failed", notification_event=alert.event, error_type=type(exc).__name__)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _handle(self, alert: Alert) -> None:
        message = self.templates.render(alert)
        for channel in self.channels:
            if not self.buckets[channel.name].take():
                self.metrics.dropped.labels(channel.name, "rate_limited").inc()
                log.warning(
                    "notification_dropped", notification_event=alert.event, channel=channel.name, reason="rate_limited"
                )
                continue
            self._deliver(channel, message)

    def _deliver(self, channel: Channel, message: Message) -> None:
        started = time.perf_counter()
        attributes = {"channel": channel.name, "event": message.event}
        with tracer.start_as_current_span("notifications.deliver", attributes=attributes) as span:
            outcome, attempt = "failed", 0
            for attempt in range(1, self.settings.max_attempts + 1):
                try:
                    with self._track(f"notifications:{channel.name}"):
                        channel.send(message)
                except DeliveryError as exc:
                    transient = isinstance(exc, TransientError)
                    self.metrics.attempts.labels(channel.name, "transient" if transient else "permanent").inc()
                    self.last_error[channel.name] = str(exc)
                    log.warning(
                        "notification_attempt_failed",
                        channel=channel.name,
                        attempt=attempt,
                        transient=transient,
                        reason=str(exc),
                    )
                    if not transient or attempt == self.settings.max_attempts:
                        break
                    if self._stopping.wait(self._backoff(attempt, exc.retry_after)):
                        break
                else:
                    self.metrics.attempts.labels(channel.name, "ok").inc()
                    self.last_error[channel.name] = ""
                    outcome = "sent"
                    break
            span.set_attribute("outcome", outcome)
            span.set_attribute("attempts", attempt)
        self.metrics.delivered.labels(channel.name, outcome).inc()
        self.metrics.duration.labels(channel.name).observe(time.perf_counter() - started)
        if outcome == "failed":
            log.error("notification_not_delivered", channel=channel.name, notification_event=message.event)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = self.settings.backoff_base_seconds * 2 ** (attempt - 1)
        wanted = retry_after if retry_after is not None else base
        return min(self.settings.backoff_max_seconds, wanted)
