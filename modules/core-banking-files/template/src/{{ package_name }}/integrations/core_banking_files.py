"""Core-banking exports: added by the core-banking-files module (the code is in ``../core_banking_files/``).

Ingests run as a batch command (``python -m <package>.core_banking_files ingest``); the service only
reports on them: ``/readyz`` shows ``core-banking-files`` as ``degraded: ...`` when the ledger cannot be
read or an ingest has been unfinished for longer than ``STALE_AFTER_HOURS`` (a crashed run to resume),
and two gauges tell Prometheus the same. Settings: ``<PREFIX>CORE_BANKING_FILES_*``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import Gauge

from ..core_banking_files import CoreBankingFilesSettings, FileEntry, Ledger, LedgerError
from . import Integration, IntegrationContext


def _entries(settings: CoreBankingFilesSettings) -> list[FileEntry]:
    if not settings.ledger_path.exists():
        return []
    ledger = Ledger(settings.ledger_path)
    try:
        return ledger.files()
    finally:
        ledger.close()


def _stale(settings: CoreBankingFilesSettings) -> list[FileEntry]:
    cutoff = datetime.now(UTC) - timedelta(hours=settings.stale_after_hours)
    return [
        e for e in _entries(settings) if e.status == "in_progress" and datetime.fromisoformat(e.started_at) < cutoff
    ]


def _last_complete(settings: CoreBankingFilesSettings) -> float:
    finished = [datetime.fromisoformat(e.finished_at) for e in _entries(settings) if e.finished_at]
    return max(finished).timestamp() if finished else 0.0


def _or_nan(read: Callable[[], float]) -> Callable[[], float]:
    """A gauge's reading, NaN when the ledger cannot be read (a scrape must not fail; /readyz says why)."""

    def value() -> float:
        try:
            return read()
        except LedgerError:
            return math.nan

    return value


def integration(context: IntegrationContext) -> Integration:
    """Join the ledger's state to ``/readyz`` (optional) and ``/metrics``."""
    settings = CoreBankingFilesSettings()
    registry = context.metrics.registry
    Gauge(
        "core_banking_stale_ingests", "Ingests unfinished for longer than STALE_AFTER_HOURS.", registry=registry
    ).set_function(_or_nan(lambda: float(len(_stale(settings)))))
    Gauge(
        "core_banking_last_ingest_timestamp_seconds", "When the last ingest finished (0: never).", registry=registry
    ).set_function(_or_nan(lambda: _last_complete(settings)))

    async def check() -> None:
        try:
            stale = await asyncio.to_thread(_stale, settings)
        except LedgerError as exc:
            raise RuntimeError(str(exc)) from exc
        if stale:
            names = ", ".join(e.name for e in stale)
            msg = f"unfinished ingest of {names}: run the same ingest command again to resume it"
            raise RuntimeError(msg)

    return Integration("core-banking-files", check=check, required=False)
