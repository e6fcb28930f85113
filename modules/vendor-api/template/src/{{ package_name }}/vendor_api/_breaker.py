"""A circuit breaker, so a dead vendor costs one failed attempt per cool-down instead of one per call.

The same pattern as the redis-cache module's breaker, kept here so this module stands on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed: calls go through. After ``failures`` consecutive failures it opens: calls are refused
    (the vendor is skipped) for ``cooldown_seconds``. Then one trial call goes through (half-open):
    success closes it, failure opens it again. Thread-safe.
    """

    def __init__(self, failures: int, cooldown_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if failures < 1 or cooldown_seconds <= 0:
            msg = "failures must be at least 1 and cooldown_seconds positive"
            raise ValueError(msg)
        self._threshold = failures
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> State:
        """``closed``, ``open`` or ``half_open`` (cool-down over, next call is the trial)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            cooling = self._clock() - self._opened_at < self._cooldown
            return "open" if cooling or self._trial else "half_open"

    def allow(self) -> bool:
        """Whether a call may go to the vendor now; after the cool-down, only one caller (the trial) may."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial or self._clock() - self._opened_at < self._cooldown:
                return False
            self._trial = True
            return True

    def record_success(self) -> bool:
        """The vendor answered: close the circuit; returns True when it was open."""
        with self._lock:
            was_open = self._opened_at is not None
            self._failures, self._opened_at, self._trial = 0, None, False
            return was_open

    def record_failure(self) -> bool:
        """The vendor failed; returns True when this failure opened (or re-opened) the circuit."""
        with self._lock:
            self._failures += 1
            if self._trial or (self._opened_at is None and self._failures >= self._threshold):
                self._opened_at, self._trial = self._clock(), False
                return True
            return False

    def abandon(self) -> None:
        """The call that :meth:`allow` admitted was not sent after all: free the trial for another caller."""
        with self._lock:
            self._trial = False
