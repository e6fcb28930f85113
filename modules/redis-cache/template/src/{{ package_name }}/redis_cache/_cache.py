"""A Redis cache for expensive calls, with stampede protection and a circuit breaker.

``get_or_compute`` runs one atomic Lua step: the value if Redis has it, else the per-key lock
(``SET NX PX`` with a random token) if nobody holds it. The holder computes, the others repeat the step
(polling) until the value appears. The value is stored and the lock released in one Lua script, and the
lock is only ever released by its holder; as both steps are atomic, a caller can never miss a value that
was just stored and compute it again. Every Redis command has a short
timeout and no retry; consecutive failures open a circuit breaker, and while it is open calls go straight
to the expensive function without touching Redis. Errors of the expensive function are never cached.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, get_type_hints

import redis
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter, ValidationError
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..logs import get_logger
from ._breaker import CircuitBreaker
from ._metrics import CacheMetrics
from .settings import RedisCacheSettings

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

log = get_logger(__name__)

_NAMESPACE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_MAX_POLL_SECONDS = 0.05
# KEYS: value, lock; ARGV: lock token, lock ttl in ms. {1, value}: a hit; {2}: the lock is ours; {0}: taken.
_READ_OR_LOCK = """
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
"""
_HIT, _LOCKED = 1, 2
# KEYS: value, lock; ARGV: payload, ttl in ms, lock token.
_STORE_AND_RELEASE = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
"""
# KEYS: lock; ARGV: lock token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CacheUnavailableError(Exception):
    """Redis did not answer; calls go straight to the expensive functions until it does."""


class _RedisDownError(Exception):
    """Internal: one Redis command failed (already counted by the breaker)."""


@dataclass(frozen=True)
class _Hit(Generic[T]):
    value: T


@dataclass(frozen=True)
class _Lookup(Generic[T]):
    namespace: str
    key: str
    compute: Callable[[], T]
    adapter: TypeAdapter[T]
    ttl_ms: int
    cost: float

    @property
    def lock(self) -> str:
        return f"{self.key}:lock"


def connect(settings: RedisCacheSettings) -> redis.Redis:
    """A client with short timeouts and no retries: a slow or dead Redis must fail fast."""
    password = settings.password.get_secret_value() if settings.password else None
    return redis.Redis.from_url(
        settings.url,
        username=settings.username,
        password=password,
        socket_timeout=settings.socket_timeout_seconds,
        socket_connect_timeout=settings.connect_timeout_seconds,
        max_connections=settings.max_connections,
        retry=Retry(NoBackoff(), 0),
    )


class Cache:
    """Caches JSON-serialisable results (pydantic models, dicts, lists, numbers) of expensive calls."""

    def __init__(
        self, settings: RedisCacheSettings, registry: CollectorRegistry, client: redis.Redis | None = None
    ) -> None:
        self.settings = settings
        self.metrics = CacheMetrics(registry, settings.currency)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds)
        self._redis = client if client is not None else connect(settings)
        self._read_or_lock = self._redis.register_script(_READ_OR_LOCK)
        self._store_and_release = self._redis.register_script(_STORE_AND_RELEASE)
        self._release = self._redis.register_script(_RELEASE)
        self._secret = settings.key_secret.get_secret_value().encode() if settings.key_secret else None
        self._lock_ms = max(1, round(settings.lock_ttl_seconds * 1000))

    def get_or_compute(
        self,
        key: str,
        compute: Callable[[], T],
        *,
        returns: type[T],
        ttl_seconds: float,
        cost_per_call: float = 0.0,
        namespace: str = "default",
    ) -> T:
        """The cached value of ``key``, or ``compute()`` called once however many callers miss together.

        ``returns`` validates what comes back from Redis (an entry that no longer fits is a miss);
        ``cost_per_call`` is what one ``compute()`` costs, counted as saved on every hit.
        """
        return self._get_or_compute(
            self._lookup(namespace, key, compute, _adapter(returns), ttl_seconds=ttl_seconds, cost=cost_per_call)
        )

    def cached(
        self, *, namespace: str, key: Callable[P, str], ttl_seconds: float, cost_per_call: float = 0.0
    ) -> Callable[[Callable[P, T]], Callable[P, T]]:
        """Decorator: cache a function by ``key(*args, **kwargs)``; its return annotation types the values."""
        _check_namespace(namespace)

        def decorate(function: Callable[P, T]) -> Callable[P, T]:
            hints = get_type_hints(function)
            if "return" not in hints:
                msg = f"{function.__qualname__} needs a return annotation: it says how cached values are read"
                raise TypeError(msg)
            adapter: TypeAdapter[T] = TypeAdapter(hints["return"])

            @functools.wraps(function)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                lookup = self._lookup(
                    namespace,
                    key(*args, **kwargs),
                    lambda: function(*args, **kwargs),
                    adapter,
                    ttl_seconds=ttl_seconds,
                    cost=cost_per_call,
                )
                return self._get_or_compute(lookup)

            return wrapper

        return decorate

    def redis_key(self, namespace: str, key: str) -> str:
        """Where ``key`` is stored: a digest, so personal data in keys never reaches Redis or its logs."""
        data = key.encode()
        digest = hmac.new(self._secret, data, hashlib.sha256) if self._secret else hashlib.sha256(data)
        # In braces: a Redis Cluster hash tag, so the value and its lock always share a slot.
        return f"{self.settings.key_prefix}{namespace}:{{{digest.hexdigest()}}}"

    def ping(self) -> None:
        """Raise :class:`CacheUnavailableError` unless Redis answers (a success also closes the circuit)."""
        try:
            self._command(self._redis.ping)
        except _RedisDownError as exc:
            msg = f"Redis at {self.settings.url} did not answer ({exc}); calls bypass the cache"
            raise CacheUnavailableError(msg) from None

    async def health(self) -> None:
        """The readiness check: :meth:`ping` off the event loop."""
        await asyncio.to_thread(self.ping)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()

    async def aclose(self) -> None:
        """The shutdown hook: :meth:`close`."""
        self.close()

    def _lookup(
        self,
        namespace: str,
        key: str,
        compute: Callable[[], T],
        adapter: TypeAdapter[T],
        *,
        ttl_seconds: float,
        cost: float,
    ) -> _Lookup[T]:
        _check_namespace(namespace)
        if ttl_seconds <= 0 or cost < 0:
            msg = "ttl_seconds must be positive and cost_per_call not negative"
            raise ValueError(msg)
        ttl_ms = max(1, round(ttl_seconds * 1000))
        return _Lookup(namespace, self.redis_key(namespace, key), compute, adapter, ttl_ms, cost)

    def _get_or_compute(self, lookup: _Lookup[T]) -> T:
        if not self.breaker.allow():
            return self._direct(lookup, "bypass")
        token = secrets.token_hex(16)
        try:
            step = self._step(lookup, token)
        except _RedisDownError:
            return self._direct(lookup, "bypass")
        if isinstance(step, _Hit):
            self.metrics.lookup(lookup.namespace, "hit", lookup.cost)
            return step.value
        return self._lead(lookup, token) if step else self._follow(lookup, token)

    def _lead(self, lookup: _Lookup[T], token: str) -> T:
        """Holding the lock: compute, then store the value and release the lock in one step."""
        try:
            value = lookup.compute()
        except BaseException:
            self._quietly(lambda: self._release(keys=[lookup.lock], args=[token]))
            raise
        self.metrics.lookup(lookup.namespace, "miss", lookup.cost)
        payload = lookup.adapter.dump_json(value)
        self._quietly(
            lambda: self._store_and_release(keys=[lookup.key, lookup.lock], args=[payload, lookup.ttl_ms, token])
        )
        return value

    def _follow(self, lookup: _Lookup[T], token: str) -> T:
        """Another caller holds the lock: poll for its value, or take over if it gave up without one."""
        deadline = time.monotonic() + self.settings.lock_wait_seconds
        pause = self.settings.poll_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _MAX_POLL_SECONDS)
            try:
                step = self._step(lookup, token)
            except _RedisDownError:
                return self._direct(lookup, "bypass")
            if isinstance(step, _Hit):
                self.metrics.lookup(lookup.namespace, "coalesced", lookup.cost)
                return step.value
            if step:
                return self._lead(lookup, token)
        return self._direct(lookup, "wait_timeout")

    def _direct(self, lookup: _Lookup[T], result: str) -> T:
        value = lookup.compute()
        self.metrics.lookup(lookup.namespace, result, lookup.cost)
        return value

    def _step(self, lookup: _Lookup[T], token: str) -> _Hit[T] | bool:
        """The value if Redis has a valid one, else whether this caller now holds the lock."""
        reply = self._command(lambda: self._read_or_lock(keys=[lookup.key, lookup.lock], args=[token, self._lock_ms]))
        if int(reply[0]) != _HIT:
            return int(reply[0]) == _LOCKED
        try:
            return _Hit(lookup.adapter.validate_json(reply[1]))
        except ValidationError:
            # Written by an older version of the code: recompute it (under the lock, if it is free).
            log.warning("cache_entry_invalid", namespace=lookup.namespace)
            return bool(self._command(lambda: self._redis.set(lookup.lock, token, nx=True, px=self._lock_ms)))

    def _quietly(self, command: Callable[[], object]) -> None:
        """Best effort (storing, releasing): a failure is counted by the breaker and otherwise ignored."""
        try:
            self._command(command)
        except _RedisDownError:
            return

    def _command(self, command: Callable[[], R]) -> R:
        try:
            result = command()
        except (redis.RedisError, OSError) as exc:
            self.metrics.redis_errors.inc()
            if self.breaker.record_failure():
                self.metrics.circuit_open.set(1)
                log.warning("cache_circuit_open", reason=f"{type(exc).__name__}: {exc}")
            raise _RedisDownError(f"{type(exc).__name__}: {exc}") from exc
        if self.breaker.record_success():
            self.metrics.circuit_open.set(0)
            log.info("cache_circuit_closed")
        return result


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def _adapter(returns: type[T]) -> TypeAdapter[T]:
    """Building a TypeAdapter costs more than a cache hit: build one per type (types in code are few)."""
    adapter = _ADAPTERS.get(returns)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(returns, TypeAdapter(returns))
    return adapter


def _check_namespace(namespace: str) -> None:
    if not _NAMESPACE.fullmatch(namespace):
        msg = f"namespace {namespace!r} must be a short constant such as 'sanctions' (a metric label, never data)"
        raise ValueError(msg)
