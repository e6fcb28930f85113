"""Per-call cost accounting against a budget per day or month (in a time zone), thread-safe.

The spend is kept in the process: with N replicas, give each ``budget / N`` (or keep the spend in a shared
store). It starts again at the start of each period.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Literal

Period = Literal["day", "month"]


class Budget:
    """What the calls of the current period cost, and whether one more call fits."""

    def __init__(
        self,
        limit: float | None,
        period: Period,
        timezone: tzinfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.limit = limit
        self._period = period
        self._zone = timezone
        self._clock = clock
        self._lock = threading.Lock()
        self._current = self._period_of(clock())
        self._spent = 0.0

    def _period_of(self, now: datetime) -> tuple[int, int, int]:
        local = now.astimezone(self._zone)
        return (local.year, local.month, local.day if self._period == "day" else 1)

    def _roll(self) -> None:
        period = self._period_of(self._clock())
        if period != self._current:
            self._current, self._spent = period, 0.0

    def charge(self, cost: float) -> bool:
        """Spend ``cost`` if it fits in what is left of the budget; False (nothing spent) if not."""
        with self._lock:
            self._roll()
            if self.limit is not None and cost > 0 and self._spent + cost > self.limit + 1e-9:
                return False
            self._spent += cost
            return True

    def refund(self, cost: float) -> None:
        """Give back a charge whose request was not sent after all."""
        with self._lock:
            self._spent = max(0.0, self._spent - cost)

    @property
    def spent(self) -> float:
        """Spent in the current period."""
        with self._lock:
            self._roll()
            return self._spent

    def remaining(self) -> float:
        """What is left in the current period (infinity without a limit)."""
        if self.limit is None:
            return float("inf")
        return max(0.0, self.limit - self.spent)

    def exhausted(self) -> bool:
        """True when nothing is left (a free call still fits)."""
        return self.limit is not None and self.remaining() <= 0
