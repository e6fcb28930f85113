"""The default audit store: an embedded SQLite database in WAL mode, synced on every commit.

``synchronous=FULL`` makes each commit reach the disk before it returns, so a record whose future
completed survives ``kill -9`` or a power cut; the group-commit writer keeps that affordable. Triggers
refuse updates and deletes (archiving may delete only records already moved to an anchored file);
the hash chain catches an edit, deletion, insertion or reordering that bypasses them, and the witnessed
heads (``_witness``) a truncation or a chain recomputed from the edit on.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..storage import connect_durable
from ._archive import write_segment
from ._chain import AuditRecord, Break, Link, body_digest, chain_hash, first_break
from ._store import Anchor, ArchiveResult, AuditError, Checkpoint, Verification
from ._writer import GroupCommitWriter, Pending

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, created_at TEXT NOT NULL,
    prev_id TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_hash ON records (hash);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL, head_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS anchors (
    last_seq INTEGER PRIMARY KEY, head_id TEXT NOT NULL, head_hash TEXT NOT NULL, file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL, count INTEGER NOT NULL, archived_at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_extend_head BEFORE INSERT ON records
    WHEN NEW.seq IS NOT 1 + COALESCE(
            (SELECT MAX(seq) FROM records), (SELECT MAX(last_seq) FROM anchors), 0)
        OR NEW.prev_hash IS NOT COALESCE(
            (SELECT hash FROM records ORDER BY seq DESC LIMIT 1),
            (SELECT head_hash FROM anchors ORDER BY last_seq DESC LIMIT 1),
            '0000000000000000000000000000000000000000000000000000000000000000')
    BEGIN SELECT RAISE(ABORT, 'an audit record must extend the chain head'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_keep_live BEFORE DELETE ON records
    WHEN OLD.seq > (SELECT COALESCE(MAX(last_seq), 0) FROM anchors)
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only; only archived ones may leave'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS anchors_append_only BEFORE UPDATE ON anchors
    BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
CREATE TRIGGER IF NOT EXISTS anchors_kept BEFORE DELETE ON anchors
    BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
"""
# Per connection (TEMP): this store's interval; the checkpoint row goes in the statement that writes its record.
_CHECKPOINTS = """
CREATE TEMP TRIGGER IF NOT EXISTS records_checkpoint AFTER INSERT ON main.records WHEN NEW.seq % {interval} = 0
    BEGIN INSERT OR IGNORE INTO checkpoints VALUES (NEW.seq, NEW.id, NEW.hash, NEW.created_at); END
"""
_RECORD_COLUMNS = "seq, id, kind, created_at, prev_id, prev_hash, hash, body"
_ATTEMPTS = 5
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


def utc_text(moment: datetime) -> str:
    """``moment`` in the store's time format (UTC)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    if not create and not path.is_file():
        raise AuditError(f"no audit trail at {path} (set the audit path or pass --db)")
    try:
        return connect_durable(path)
    except (OSError, sqlite3.Error) as exc:
        raise AuditError(f"cannot open the audit trail at {path}: {exc}") from exc


def _record(row: Sequence[Any]) -> AuditRecord:
    seq, record_id, kind, created_at, prev_id, prev_hash, digest, body = row
    return AuditRecord(seq, record_id, kind, created_at, prev_id, prev_hash, digest, json.loads(body))


class SqliteAuditStore:
    """:class:`~._store.AuditStore` on one SQLite file; safe for several threads and processes."""

    def __init__(self, path: Path, *, checkpoint_interval: int = 1000, create: bool = True) -> None:
        self.path = path
        self.checkpoint_interval = checkpoint_interval
        self._conn = _connect(path, create=create)
        try:
            if create:
                self._conn.executescript(_SCHEMA)
            self._conn.execute(_CHECKPOINTS.format(interval=int(checkpoint_interval)))  # an int: nothing to inject
        except sqlite3.Error as exc:
            self._conn.close()
            raise AuditError(f"{path} is not a usable audit trail: {exc}") from exc
        self._writer: GroupCommitWriter | None = None
        self._head: tuple[int, str | None, str] | None = None  # (seq, id, hash) of the last record written here
        self._lock = threading.Lock()  # one connection writes: the writer thread, checkpoint() or archive()
        self._starting = threading.Lock()  # not self._lock: callers must queue while a commit is being synced

    # -- writing ---------------------------------------------------------------------------------

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue a record; the future completes when it is durably committed (or fails)."""
        text, digest = body_digest(body)  # here, in the caller's thread: refuses what JSON cannot hold
        with self._starting:
            if self._writer is None:
                self._writer = GroupCommitWriter(self._commit)
            writer = self._writer
        return writer.submit(Pending(uuid.uuid4().hex, kind, body, text, digest))

    def checkpoint(self) -> Checkpoint | None:
        """Note the current head now."""
        with self._transaction() as conn:
            head = _head(conn)
            if head[1] is None:
                return None
            return _write_checkpoint(conn, *head)

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the connection."""
        with self._starting:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._conn.close()

    def _commit(self, batch: Sequence[Pending]) -> list[AuditRecord]:
        """One statement per batch: a multi-row INSERT, its own transaction, synced before it returns.

        The chain head is kept in memory; if another process appended meanwhile, the trigger
        ``records_extend_head`` refuses the INSERT as a whole and the batch is chained again from the new head.
        """
        for _ in range(_ATTEMPTS):
            with self._lock:
                head = self._head or _head(self._conn)
                written, values = _chain_batch(batch, head)
                try:
                    self._conn.execute(_insert_sql(len(batch)), values)
                except sqlite3.IntegrityError:
                    self._head = None
                    continue
            last = written[-1]
            self._head = (last.seq, last.id, last.hash)
            return written
        raise AuditError(f"could not append after {_ATTEMPTS} attempts: other writers keep moving the chain head")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: the head is read and extended under one write lock (safe across processes)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------------

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read connection of its own holding one consistent snapshot."""
        with closing(_connect(self.path, create=False)) as conn:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")

    def get(self, record_id: str) -> AuditRecord | None:
        """The record with this id, or None."""
        with self._snapshot() as conn:
            row = conn.execute(f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?", (record_id,)).fetchone()  # noqa: S608
        return None if row is None else _record(row)

    def records(self) -> Iterator[AuditRecord]:
        """Every live record in chain order."""
        with self._snapshot() as conn:
            yield from map(_record, conn.execute(f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY seq"))  # noqa: S608

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Every live checkpoint in order."""
        with self._snapshot() as conn:
            rows = conn.execute("SELECT seq, record_id, head_hash, created_at FROM checkpoints ORDER BY seq")
            yield from (Checkpoint(*row) for row in rows)

    def anchors(self) -> Iterator[Anchor]:
        """Every archived segment, oldest first."""
        with self._snapshot() as conn:
            yield from _anchors(conn)

    def verify(self) -> Verification:
        """Check the live chain from the last anchor, then every live checkpoint against it."""
        with self._snapshot() as conn:
            return _verify(conn)

    # -- archiving -------------------------------------------------------------------------------

    def archive(self, before: datetime, directory: Path, retain_years: int) -> ArchiveResult:
        """Move the records created before ``before`` to a segment file; the live store keeps its anchor."""
        checked = self.verify()
        if not checked.ok:
            raise AuditError(f"refusing to archive a broken chain: {checked.broken}")
        with self._transaction() as conn:
            start = _start(conn)
            rows = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM records WHERE seq < "  # noqa: S608
                "(SELECT COALESCE(MIN(seq), 1 << 62) FROM records WHERE created_at >= ?) ORDER BY seq",
                (utc_text(before),),
            ).fetchall()
            if not rows:
                return ArchiveResult(None, 0, start.hash)
            records = [_record(row) for row in rows]
            last = records[-1].seq
            checkpoints = [Checkpoint(*r) for r in conn.execute("SELECT * FROM checkpoints WHERE seq <= ?", (last,))]
            segment = write_segment(directory, start, records, checkpoints, retain_years)
            conn.execute(
                "INSERT INTO anchors VALUES (?, ?, ?, ?, ?, ?, ?)",
                (last, records[-1].id, records[-1].hash, segment.name, segment.sha256, len(records), segment.at),
            )
            conn.execute("DELETE FROM checkpoints WHERE seq <= ?", (last,))
            conn.execute("DELETE FROM records WHERE seq <= ?", (last,))
        return ArchiveResult(segment.path, len(records), records[-1].hash)


def _chain_batch(batch: Sequence[Pending], head: tuple[int, str | None, str]) -> tuple[list[AuditRecord], list[Any]]:
    """Chain ``batch`` after ``head``: the records and the flat parameters of their INSERT."""
    seq, prev_id, prev_hash = head
    created_at = utc_text(datetime.now(UTC))
    written: list[AuditRecord] = []
    values: list[Any] = []
    for pending in batch:
        seq += 1
        record = _chained(seq, pending, created_at, prev_id, prev_hash)
        written.append(record)
        values.extend(_values(record, pending.body_text))
        prev_id, prev_hash = record.id, record.hash
    return written, values


def _insert_sql(rows: int) -> str:
    return f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)  # noqa: S608


def _values(record: AuditRecord, body_text: str) -> tuple[Any, ...]:
    return (
        record.seq,
        record.id,
        record.kind,
        record.created_at,
        record.prev_id,
        record.prev_hash,
        record.hash,
        body_text,
    )


def _chained(seq: int, pending: Pending, created_at: str, prev_id: str | None, prev_hash: str) -> AuditRecord:
    digest = chain_hash(
        record_id=pending.record_id,
        kind=pending.kind,
        created_at=created_at,
        prev_id=prev_id,
        prev_hash=prev_hash,
        body_sha256=pending.body_sha256,
    )
    return AuditRecord(seq, pending.record_id, pending.kind, created_at, prev_id, prev_hash, digest, pending.body)


def _anchors(conn: sqlite3.Connection) -> Iterator[Anchor]:
    rows = conn.execute(
        "SELECT last_seq, head_id, head_hash, file, file_sha256, count, archived_at FROM anchors ORDER BY last_seq"
    )
    return (Anchor(*row) for row in rows)


def _start(conn: sqlite3.Connection) -> Link:
    row = conn.execute("SELECT head_hash, head_id FROM anchors ORDER BY last_seq DESC LIMIT 1").fetchone()
    return Link() if row is None else Link(row[0], row[1])


def _head(conn: sqlite3.Connection) -> tuple[int, str | None, str]:
    """(seq, id, hash) of the last record, live or archived; (0, None, GENESIS) when there is none."""
    row = conn.execute("SELECT seq, id, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        row = conn.execute("SELECT last_seq, head_id, head_hash FROM anchors ORDER BY last_seq DESC LIMIT 1").fetchone()
    if row is None:
        return 0, None, Link().hash
    return int(row[0]), row[1], row[2]


def _write_checkpoint(conn: sqlite3.Connection, seq: int, record_id: str | None, head_hash: str) -> Checkpoint:
    checkpoint = Checkpoint(seq, str(record_id), head_hash, utc_text(datetime.now(UTC)))
    conn.execute("INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?, ?)", tuple(checkpoint.__dict__.values()))
    return checkpoint


def _verify(conn: sqlite3.Connection) -> Verification:
    def is_stored_hash(digest: str) -> bool:
        return conn.execute("SELECT 1 FROM records WHERE hash = ?", (digest,)).fetchone() is not None

    counted = [0]

    def counting() -> Iterator[AuditRecord]:
        for row in conn.execute(f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY seq"):  # noqa: S608
            counted[0] += 1
            yield _record(row)

    start = _start(conn)
    _, _, head = _head(conn)
    checkpoints = [Checkpoint(*row) for row in conn.execute("SELECT * FROM checkpoints ORDER BY seq")]
    broken: Break | None = first_break(counting(), start, is_stored_hash)
    if broken is None:
        broken = _checkpoint_break(conn, checkpoints)
    return Verification(counted[0], len(checkpoints), head, broken)


def _checkpoint_break(conn: sqlite3.Connection, checkpoints: list[Checkpoint]) -> Break | None:
    for checkpoint in checkpoints:
        row = conn.execute("SELECT id, hash FROM records WHERE seq = ?", (checkpoint.seq,)).fetchone()
        if row is None:
            return Break("deleted", checkpoint.record_id, f"checkpoint {checkpoint.seq} names it but it is gone")
        if tuple(row) != (checkpoint.record_id, checkpoint.head_hash):
            return Break("edited", checkpoint.record_id, f"the chain was rewritten up to checkpoint {checkpoint.seq}")
    return None
