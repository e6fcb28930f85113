"""Known maintenance windows of the vendor: while one is open, calls skip the vendor and use the fallback.

Two forms, each optionally ending with an IANA time zone (else the ``MAINTENANCE_TIMEZONE`` setting):

- weekday and time range: ``Tue 02:00-04:00``, ``Mon-Fri 23:30-00:15`` (crosses midnight: ends the next
  day), ``Sat,Sun 06:00-07:00 Europe/London``, ``daily 03:00-03:10``;
- cron-like: ``cron MIN HOUR DOM MONTH DOW DURATION``, e.g. ``cron 0 1 1 * * 90m`` (the 1st of each month,
  01:00 to 02:30). Fields take ``*``, numbers, ranges, lists and steps (``*/15``, ``1-5``, ``mon,wed``); as in
  cron, a restricted day of month and day of week match when either does.

Times are wall-clock times in the window's zone; windows last at most 24 hours.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MAX_MINUTES = 24 * 60
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
_FORMS = "'Tue 02:00-04:00', 'Mon-Fri 23:30-00:15 Europe/Paris', 'daily 03:00-03:10' or 'cron 0 1 1 * * 90m'"


def zone(name: str) -> tzinfo:
    """The time zone called ``name`` (``UTC`` or an IANA name); ValueError naming the fix otherwise."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {name!r}: use an IANA name such as Europe/London (install tzdata if none is found)"
        raise ValueError(msg) from None


@dataclass(frozen=True)
class MaintenanceWindow:
    """One recurring window: the minutes it may start at and how long it lasts."""

    spec: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: any (``*``)
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # Monday is 0; None: any (``*``)
    duration_minutes: int
    timezone: str | None = None

    def starts_at(self, local: datetime) -> bool:
        """Whether a window starts at ``local`` (a wall-clock minute in the window's zone)."""
        if local.minute not in self.minutes or local.hour not in self.hours or local.month not in self.months:
            return False
        dom, dow = self.days_of_month, self.days_of_week
        if dom is not None and dow is not None:  # cron: either restricted day field matches
            return local.day in dom or local.weekday() in dow
        return (dom is None or local.day in dom) and (dow is None or local.weekday() in dow)

    def open_until(self, now: datetime, default_zone: tzinfo) -> datetime | None:
        """The end (in UTC) of the window open at ``now``, or None when none is."""
        tz = zone(self.timezone) if self.timezone else default_zone
        local = now.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
        seconds_in = now.astimezone(tz).second + now.microsecond / 1e6
        for back in range(self.duration_minutes):
            start = local - timedelta(minutes=back)
            if self.starts_at(start):
                remaining = timedelta(minutes=self.duration_minutes - back) - timedelta(seconds=seconds_in)
                return (now + remaining).astimezone(UTC)
        return None


@dataclass
class MaintenanceSchedule:
    """The configured windows; which one is open is computed at most once per minute."""

    windows: tuple[MaintenanceWindow, ...]
    default_zone: tzinfo
    _memo: tuple[datetime, datetime | None] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def open_until(self, now: datetime | None = None) -> datetime | None:
        """The end (UTC) of the window open now (the latest, when several overlap), or None."""
        now = now or datetime.now(UTC)
        minute = now.replace(second=0, microsecond=0)
        with self._lock:
            if self._memo is not None and self._memo[0] == minute:
                return self._memo[1]
        ends = [end for window in self.windows if (end := window.open_until(now, self.default_zone)) is not None]
        until = max(ends, default=None)
        with self._lock:
            self._memo = (minute, until)
        return until


def parse_window(spec: str) -> MaintenanceWindow:
    """Parse one window (see the module docstring); ValueError naming the expected forms otherwise."""
    words = spec.split()
    timezone = None
    if len(words) > 1 and ("/" in words[-1] or words[-1].upper() == "UTC"):
        timezone = words.pop()
    try:
        if timezone:
            zone(timezone)
        if words and words[0].lower() == "cron":
            return _cron(spec, words[1:], timezone)
        return _weekly(spec, words, timezone)
    except ValueError as exc:
        msg = f"maintenance window {spec!r}: {exc}; write it as {_FORMS}"
        raise ValueError(msg) from None


def _weekly(spec: str, words: list[str], timezone: str | None) -> MaintenanceWindow:
    if len(words) != 2:  # noqa: PLR2004 -- days and a time range
        msg = "expected days and a time range"
        raise ValueError(msg)
    days, span = words[0].lower(), words[1]
    if "-" not in span:
        msg = "expected a time range like 02:00-04:00"
        raise ValueError(msg)
    day_set = frozenset(range(7)) if days == "daily" else _field(days, 0, 6, DAYS)
    start_text, _, end_text = span.partition("-")
    start, end = _clock(start_text), _clock(end_text)
    duration = (end - start) % _MAX_MINUTES
    if duration == 0:
        msg = "the window starts and ends at the same time"
        raise ValueError(msg)
    return MaintenanceWindow(
        spec,
        minutes=frozenset({start % 60}),
        hours=frozenset({start // 60}),
        days_of_month=None,
        months=frozenset(range(1, 13)),
        days_of_week=day_set,
        duration_minutes=duration,
        timezone=timezone,
    )


def _cron(spec: str, fields: list[str], timezone: str | None) -> MaintenanceWindow:
    if len(fields) != 6:  # noqa: PLR2004 -- five cron fields and a duration
        msg = "a cron window has five fields and a duration"
        raise ValueError(msg)
    minute, hour, dom, month, dow, duration = (f.lower() for f in fields)
    cron_days = None if dow == "*" else _field(dow, 0, 7, _CRON_DAYS)
    return MaintenanceWindow(
        spec,
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days_of_month=None if dom == "*" else _field(dom, 1, 31),
        months=_field(month, 1, 12),
        days_of_week=None if cron_days is None else frozenset((d - 1) % 7 for d in cron_days),  # cron 0/7: Sunday
        duration_minutes=_duration(duration),
        timezone=timezone,
    )


def _clock(text: str) -> int:
    match = _TIME.match(text)
    if not match:
        msg = f"{text!r} is not a time like 02:00"
        raise ValueError(msg)
    return int(match[1]) * 60 + int(match[2])


def _duration(text: str) -> int:
    match = _DURATION.match(text)
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0) if match and (match[1] or match[2]) else 0
    if not 0 < minutes <= _MAX_MINUTES:
        msg = f"{text!r} is not a duration of 1m to 24h like 90m or 1h30m"
        raise ValueError(msg)
    return minutes


def _field(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> frozenset[int]:
    """A cron field: ``*``, ``n``, ``a-b``, lists and ``/step``; names (``mon``) count from ``low``."""
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _number(step_text, names, low) if step_text else 1
        if body == "*":
            first, last = low, high
        else:
            first_text, _, last_text = body.partition("-")
            first = _number(first_text, names, low)
            last = _number(last_text, names, low) if last_text else (high if step_text else first)
        if not low <= first <= last <= high or step < 1:
            msg = f"{part!r} is outside {low}-{high}"
            raise ValueError(msg)
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, names: tuple[str, ...], low: int) -> int:
    if text in names:
        return names.index(text) + low
    if not text.isdigit():
        msg = f"{text!r} is not a number" + (f" or one of {', '.join(names)}" if names else "")
        raise ValueError(msg)
    return int(text)
