"""The event bus as the service runs it: connect in the background, consume, report readiness, drain.

Connecting never blocks start-up: when the broker is down the service still starts, ``/readyz``
reports why the event bus is not ready, and connection attempts repeat every ``reconnect_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from ..integrations import IntegrationContext
from ..logs import get_logger
from ._backend import BACKEND
from ._core import Action, Delivery, EventMetrics, InFlight, Processor, Transport, settle
from ._transport import BackendTransport
from .keys import KeyStoreError, ProcessedKeys
from .settings import EventBusSettings

log = get_logger(__name__)


def redacted(url: str) -> str:
    """``url`` without any user name or password in it, for messages and logs."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class EventBus:
    """Consumes transactions, has the service score them, publishes decisions."""

    def __init__(
        self, settings: EventBusSettings, context: IntegrationContext, transport: Transport | None = None
    ) -> None:
        self.settings = settings
        self.context = context
        self.transport: Transport = transport or BackendTransport(settings)
        self.metrics = EventMetrics(context)
        self.in_flight = InFlight(settings.max_in_flight)
        self.consuming = asyncio.Event()
        self._processor: Processor | None = None
        self._keys: ProcessedKeys | None = None
        self._problem: str | None = "not started"
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        """Open the processed-keys store and start connecting in the background (the startup hook)."""
        if not self.settings.consume:
            self._problem = None
            log.info("event_bus_not_consuming", reason="consume is false")
            return
        try:
            # relative to the service's home, as its own var/ files are (an absolute path stays as it is)
            path = self.context.settings.home / self.settings.processed_keys_path
            self._keys = await asyncio.to_thread(ProcessedKeys, path)
            await asyncio.to_thread(self._keys.prune, timedelta(days=self.settings.keys_retention_days))
        except KeyStoreError as exc:
            self._problem = str(exc)
            log.error("event_bus_not_started", reason=str(exc))
            return
        self._processor = Processor(self.settings, self.context, self._keys, self.transport, self.metrics)
        self._runner = asyncio.create_task(self._connect_until_consuming())

    async def _connect_until_consuming(self) -> None:
        where = f"{BACKEND} at {redacted(self.settings.url)}"
        while not self._stopping:
            try:
                await asyncio.wait_for(self.transport.connect(), self.settings.timeout_seconds)
                await asyncio.wait_for(
                    self.transport.consume(self.dispatch, self.in_flight), self.settings.timeout_seconds
                )
            except Exception as exc:  # any failure to connect: report it, close, try again later
                self._problem = f"cannot consume from {where}: {type(exc).__name__}: {exc}"
                log.error("event_bus_not_connected", broker=where, error=f"{type(exc).__name__}: {exc}")
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.transport.close(), self.settings.timeout_seconds)
                await asyncio.sleep(self.settings.reconnect_seconds)
            else:
                self._problem = None
                self.consuming.set()
                log.info("event_bus_consuming", broker=where, input=self.settings.input)
                return

    def dispatch(self, delivery: Delivery) -> None:
        """Take one delivered message (counted in flight at once) and handle it in a task."""
        self.in_flight.enter()
        self.metrics.in_flight.inc()
        task = asyncio.create_task(self._handle(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, delivery: Delivery) -> None:
        assert self._processor is not None  # noqa: S101 -- dispatch starts only after start()
        try:
            action = await self._processor.process(delivery.body)
            await settle(delivery, action, self.settings.retry_delay_seconds, self.settings.timeout_seconds)
        except Exception as exc:  # e.g. publishing timed out: hand it back; its key makes the next attempt safe
            log.error("event_not_settled", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):  # the broker redelivers it anyway once the connection drops
                await settle(delivery, Action.RETRY, self.settings.retry_delay_seconds, self.settings.timeout_seconds)
        finally:
            self.metrics.in_flight.dec()
            await self.in_flight.leave()

    async def check(self) -> None:
        """The readiness check: raise unless consuming (or consuming is switched off)."""
        problem = self._problem or (self.transport.problem() if self.settings.consume else None)
        if problem is not None:
            raise ConnectionError(problem)

    async def stop(self) -> None:
        """Take no more messages, finish those in flight (up to the grace period), close (the shutdown hook)."""
        self._stopping = True
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.transport.stop_consuming(), self.settings.timeout_seconds)
        try:
            await asyncio.wait_for(self.in_flight.idle(), self.settings.shutdown_grace_seconds)
        except TimeoutError:
            log.warning("event_bus_unfinished_at_shutdown", in_flight=self.in_flight.count)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.transport.close(), self.settings.timeout_seconds)
        if self._keys is not None:
            await asyncio.to_thread(self._keys.close)
        self._problem = "stopped"
        log.info("event_bus_stopped")
