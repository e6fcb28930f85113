"""What ``audit verify|export|archive`` do, returning the lines to show (the CLI prints them)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from ._archive import export_jsonl, verify_segments
from ._heads import HeadCheck, check_heads
from ._sqlite import SqliteAuditStore
from ._store import AuditStore
from ._witness import Witness, create_key, load_public_keys


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


@dataclass(frozen=True)
class WitnessCheck:
    """The witness a trail is checked against and the file listing the public keys trusted to sign its heads."""

    witness: Witness
    public_keys: Path


def verify(trail: Trail, archive_dir: Path, witness: WitnessCheck | None) -> Report:
    """Check the live chain, its checkpoints, every archived segment on disk, then the witnessed heads.

    ``witness`` None (``--no-witness``) checks the trail alone, which cannot see a truncation or a
    rewrite whose later hashes were recomputed; the report says so.
    """
    store = trail.open()
    try:
        result = store.verify()  # first: a trail that cannot be read is the first thing to say
        anchors = list(store.anchors())
        checked = None
        if witness is not None and result.ok:
            heads = witness.witness.heads()
            checked = check_heads(store, heads, load_public_keys(witness.public_keys), archive_dir)
    finally:
        store.close()
        if witness is not None:
            witness.witness.close()
    if not result.ok:
        return Report(1, f"error: audit trail {trail.where} is broken: {result.broken}", stderr=True)
    broken, missing = verify_segments(anchors, archive_dir)
    if broken is not None:
        return Report(1, f"error: archived audit segment is broken: {broken}", stderr=True)
    archived = f", {len(anchors)} archived segment(s)" + (f" ({len(missing)} not on disk)" if missing else "")
    summary = f"{result.records} records, {result.checkpoints} checkpoints{archived}; head {result.head_hash}"
    if witness is None or checked is None:
        return Report(0, f"ok: {summary}; NOT checked against a witness: a truncation would not show")
    return _witnessed(trail, witness, checked, summary)


def _witnessed(trail: Trail, witness: WitnessCheck, checked: HeadCheck, summary: str) -> Report:
    where = witness.witness.where
    if checked.problem is not None:
        return Report(
            1, f"error: audit trail {trail.where} does not match its witness {where}: {checked.problem}", True
        )
    if checked.newest is None:
        if checked.size == 0:
            return Report(0, f"ok: {summary}; nothing witnessed yet in {where}")
        return Report(
            1,
            f"error: audit trail {trail.where} has {checked.size} records but no head is witnessed in {where}: "
            "it may have been replaced (a service writing it witnesses its head at start-up and every few seconds)",
            stderr=True,
        )
    unchecked = f", {checked.unchecked} in segments not on disk" if checked.unchecked else ""
    return Report(
        0,
        f"ok: {summary}; matches {checked.heads} witnessed heads{unchecked}, the newest at record "
        f"{checked.newest.size} ({checked.newest.time}); {checked.unwitnessed} newer records not witnessed yet",
    )


def create_witness_key(key_path: Path, public_keys: Path) -> Report:
    """``audit witness-key create``: a new signing key, its public key added to the trusted list."""
    created = create_key(key_path, public_keys)
    return Report(
        0,
        f"created witness key {created} at {key_path} (keep it apart from the trail, readable by the service only); "
        f"its public key is listed in {public_keys} (give that file to whoever verifies)",
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
