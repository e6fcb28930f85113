"""What ``audit verify|export|archive`` do, returning the lines to show (the CLI prints them)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from ._archive import export_jsonl, verify_segments
from ._sqlite import SqliteAuditStore
from ._store import AuditStore


@dataclass(frozen=True)
class Report:
    """An exit code and one line to print: on stderr for errors, and when stdout carries the export."""

    code: int
    line: str
    stderr: bool = False


@dataclass(frozen=True)
class Trail:
    """The audit trail a command works on: how to name it in messages and how to open it."""

    where: str
    open: Callable[[], AuditStore]

    @classmethod
    def sqlite(cls, db: Path) -> Trail:
        """The SQLite file ``db``, which must exist."""
        return cls(str(db), lambda: SqliteAuditStore(db, create=False))


def verify(trail: Trail, archive_dir: Path) -> Report:
    """Check the live chain, its checkpoints, and every archived segment still on disk."""
    store = trail.open()
    try:
        result = store.verify()
        anchors = list(store.anchors())
    finally:
        store.close()
    if not result.ok:
        return Report(1, f"error: audit trail {trail.where} is broken: {result.broken}", stderr=True)
    broken, missing = verify_segments(anchors, archive_dir)
    if broken is not None:
        return Report(1, f"error: archived audit segment is broken: {broken}", stderr=True)
    archived = f", {len(anchors)} archived segment(s)" + (f" ({len(missing)} not on disk)" if missing else "")
    return Report(
        0, f"ok: {result.records} records, {result.checkpoints} checkpoints{archived}; head {result.head_hash}"
    )


def export(trail: Trail, output: Path | None) -> Report:
    """Write anchors, records (with their chain hashes) and checkpoints as JSON Lines."""
    store = trail.open()
    try:
        if output is None:
            count = export_jsonl(store, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as handle:
                count = export_jsonl(store, handle)
    finally:
        store.close()
    return Report(0, f"exported {count} records to {output or 'stdout'}", stderr=output is None)


def archive(trail: Trail, archive_dir: Path, before: date | None, retention_years: int) -> Report:
    """Move the records created before ``before`` (default: older than the retention) to a segment file."""
    cutoff = before or _years_ago(datetime.now(UTC).date(), retention_years)
    store = trail.open()
    try:
        result = store.archive(datetime.combine(cutoff, time(), UTC), archive_dir, retention_years)
    finally:
        store.close()
    if result.file is None:
        return Report(0, f"nothing to archive: no live record was created before {cutoff}")
    return Report(0, f"archived {result.count} records created before {cutoff} to {result.file}")


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)
