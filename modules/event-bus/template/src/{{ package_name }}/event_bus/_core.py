"""The backend-independent consumer: parse, deduplicate, score, publish, acknowledge.

Per message, in this order (at least once; a redelivery is never scored twice):

1. Not JSON or not a valid transaction: published to the dead letter at once, acknowledged.
2. Key already scored (a redelivery, or a duplicate sent by the producer): the stored decision is
   published again (the crash may have come before it was), acknowledged; the model is not called.
3. Otherwise the attempt is counted, the applicant scored by the service (model, policy, audit
   record), the decision stored with its key, published, and only then the message acknowledged.
4. Scoring failed: handed back to the broker after ``retry_delay_seconds``; at ``max_attempts``
   failed attempts (counted across restarts, so a message that kills the process counts too) it
   goes to the dead letter.

At most ``max_in_flight`` messages are unacknowledged at a time; shutdown stops taking messages and
waits for those in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol

from prometheus_client import Counter, Gauge

from ..app import NotReadyError
from ..integrations import IntegrationContext, Scorer
from ..logs import get_logger
from .keys import ProcessedKeys
from .messages import DecisionEvent, PoisonMessageError, Transaction, parse_transaction
from .settings import EventBusSettings

NAME = "event-bus"
REASON_HEADER = "x-dead-letter-reason"
ATTEMPTS_HEADER = "x-attempts"
log = get_logger(__name__)


class Action(enum.Enum):
    """What to tell the broker about a message."""

    ACK = "ack"
    RETRY = "retry"


class Delivery(Protocol):
    """One message as a backend delivered it."""

    @property
    def body(self) -> bytes:
        """The message body."""
        ...

    async def ack(self) -> None:
        """Done with it: the broker may forget it."""
        ...

    async def retry(self, delay: float) -> None:
        """Hand it back to be delivered again after ``delay`` seconds."""
        ...


Dispatch = Callable[[Delivery], None]


class InFlight:
    """Messages taken and not yet settled: bounded by ``limit``, awaited at shutdown."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    def enter(self) -> None:
        """One more message in flight."""
        self.count += 1
        self.peak = max(self.peak, self.count)

    async def leave(self) -> None:
        """One message settled."""
        self.count -= 1
        async with self._changed:
            self._changed.notify_all()

    async def free(self) -> int:
        """Wait until a slot is free and return how many are."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.count < self.limit)
        return self.limit - self.count

    async def idle(self) -> None:
        """Wait until nothing is in flight."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.count == 0)


class Transport(Protocol):
    """What a backend (RabbitMQ, NATS, Kafka) provides to the consumer."""

    async def connect(self) -> None:
        """Connect and declare the destinations; raises when the broker cannot be reached."""
        ...

    async def publish(self, destination: str, body: bytes, *, key: str | None, headers: Mapping[str, str]) -> None:
        """Publish durably: returns once the broker has confirmed it."""
        ...

    async def consume(self, dispatch: Dispatch, in_flight: InFlight) -> None:
        """Start handing messages of the input to ``dispatch``, never more than ``in_flight`` allows."""
        ...

    async def stop_consuming(self) -> None:
        """Take no more messages (those in flight can still be acknowledged)."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...

    def problem(self) -> str | None:
        """Why the transport cannot work now, or None."""
        ...


class EventMetrics:
    """The consumer's own metrics, in the service's registry."""

    def __init__(self, context: IntegrationContext) -> None:
        registry = context.metrics.registry
        self.messages = Counter(
            "event_bus_messages",
            "Messages consumed by outcome: scored, duplicate, retry, dead_letter.",
            ["outcome"],
            registry=registry,
        )
        self.in_flight = Gauge("event_bus_in_flight", "Messages taken and not yet acknowledged.", registry=registry)


class Processor:
    """Turns one delivered message into decisions published and an :class:`Action`."""

    def __init__(
        self,
        settings: EventBusSettings,
        context: IntegrationContext,
        keys: ProcessedKeys,
        transport: Transport,
        metrics: EventMetrics,
    ) -> None:
        self.settings = settings
        self.context = context
        self.keys = keys
        self.transport = transport
        self.metrics = metrics
        self.score: Scorer = context.score
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def process(self, body: bytes) -> Action:
        """Everything for one message except acknowledging it."""
        try:
            transaction = parse_transaction(body)
        except PoisonMessageError as exc:
            await self._dead_letter(body, str(exc), attempts=0)
            return Action.ACK
        async with self._exclusive(transaction.idempotency_key):
            return await self._process(transaction, body)

    async def _process(self, transaction: Transaction, body: bytes) -> Action:
        key = transaction.idempotency_key
        stored = await asyncio.to_thread(self.keys.decision, key)
        if stored is not None:
            await self._publish_decision(key, stored)
            self.metrics.messages.labels("duplicate").inc()
            return Action.ACK
        attempt = await asyncio.to_thread(self.keys.begin, key)
        if attempt > self.settings.max_attempts:  # earlier attempts ended without a verdict (a crash)
            return await self._give_up(key, body, attempt - 1)
        try:
            decision = await asyncio.to_thread(self._score_and_remember, transaction)
        except NotReadyError as exc:  # no model: not this message's fault, so not counted
            await asyncio.to_thread(self.keys.retract, key)
            log.warning("event_not_scored_model_not_ready", reason=str(exc))
            self.metrics.messages.labels("retry").inc()
            return Action.RETRY
        except Exception as exc:  # any failure of scoring: retried, then dead-lettered
            await asyncio.to_thread(self.keys.fail, key, f"{type(exc).__name__}: {exc}")
            log.error("event_scoring_failed", attempt=attempt, error_type=type(exc).__name__)
            if attempt >= self.settings.max_attempts:
                return await self._give_up(key, body, attempt)
            self.metrics.messages.labels("retry").inc()
            return Action.RETRY
        await self._publish_decision(key, decision)
        self.metrics.messages.labels("scored").inc()
        return Action.ACK

    def _score_and_remember(self, transaction: Transaction) -> bytes:
        key = transaction.idempotency_key
        response = self.score(transaction.applicant, request_id=key, caller=self.settings.caller)
        event = DecisionEvent(idempotency_key=key, decision=response).model_dump_json().encode()
        self.keys.finish(key, event)  # durable before the message is acknowledged
        return event

    async def _give_up(self, key: str, body: bytes, attempts: int) -> Action:
        error = await asyncio.to_thread(self.keys.last_error, key)
        await self._dead_letter(body, f"failed {attempts} attempts; last error: {error or 'process ended'}", attempts)
        await asyncio.to_thread(self.keys.forget_attempts, key)
        return Action.ACK

    async def _publish_decision(self, key: str, event: bytes) -> None:
        await self._publish(self.settings.output, event, key=key, headers={})

    async def _dead_letter(self, body: bytes, reason: str, attempts: int) -> None:
        headers = {REASON_HEADER: reason, ATTEMPTS_HEADER: str(attempts), "x-source": self.settings.input}
        await self._publish(self.settings.dead_letter, body, key=None, headers=headers)
        self.metrics.messages.labels("dead_letter").inc()
        log.warning("event_dead_lettered", reason=reason, attempts=attempts)

    async def _publish(self, destination: str, body: bytes, *, key: str | None, headers: Mapping[str, str]) -> None:
        with self.context.track(NAME):
            publish = self.transport.publish(destination, body, key=key, headers=headers)
            await asyncio.wait_for(publish, self.settings.timeout_seconds)

    @contextlib.asynccontextmanager
    async def _exclusive(self, key: str) -> AsyncIterator[None]:
        """One message per key at a time, so a duplicate waits and then finds the key scored."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def settle(delivery: Delivery, action: Action, retry_delay: float, timeout: float) -> None:
    """Acknowledge the delivery, or hand it back for another attempt."""
    settled: Awaitable[None] = delivery.ack() if action is Action.ACK else delivery.retry(retry_delay)
    await asyncio.wait_for(settled, timeout + (retry_delay if action is Action.RETRY else 0))
