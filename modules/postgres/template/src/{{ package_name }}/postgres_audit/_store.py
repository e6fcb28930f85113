"""The audit trail on PostgreSQL: the service's hash chain and group commit, serialised across processes.

Every append runs in one transaction that first locks the chain-head row (``SELECT ... FOR UPDATE``),
so writers in several processes extend the chain one after another and never fork it; the head row
moves in the same transaction, so a record is either wholly committed with its new head or absent.
The chain, its hashing and the group commit are the service's own (``audit._chain``, ``audit._writer``):
only the storage differs from SQLite.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, text

from ..audit import Anchor, ArchiveResult, AuditError, AuditRecord, Break, Checkpoint, Link, Verification, utc_text
from ..audit._archive import write_segment
from ..audit._chain import body_digest, chain_hash, first_break
from ..audit._writer import GroupCommitWriter, Pending
from ._engine import Track, translated, untracked

_COLUMNS = "seq, id, kind, created_at, prev_id, prev_hash, hash, body"
_INSERT = text(
    "INSERT INTO audit_records (seq, id, kind, created_at, prev_id, prev_hash, hash, body) "
    "VALUES (:seq, :id, :kind, :created_at, :prev_id, :prev_hash, :hash, :body)"
)
_LOCK_HEAD = text("SELECT seq, record_id, hash FROM audit_head WHERE id = 1 FOR UPDATE")
_MOVE_HEAD = text("UPDATE audit_head SET seq = :seq, record_id = :id, hash = :hash WHERE id = 1")
_CHECKPOINT = text(
    "INSERT INTO audit_checkpoints (seq, record_id, head_hash, created_at) "
    "VALUES (:seq, :record_id, :head_hash, :created_at) ON CONFLICT (seq) DO NOTHING"
)


def _record(row: Sequence[Any]) -> AuditRecord:
    seq, record_id, kind, created_at, prev_id, prev_hash, digest, body = row
    return AuditRecord(seq, record_id, kind, created_at, prev_id, prev_hash, digest, json.loads(body))


class PostgresAuditStore:
    """:class:`~..audit.AuditStore` on PostgreSQL; any number of threads and processes may write at once.

    Opening never connects: while the database is down each write fails (the service refers those
    decisions) and the next one after it comes back succeeds.
    """

    def __init__(self, engine: Engine, *, checkpoint_interval: int = 1000, track: Track = untracked) -> None:
        self.engine = engine
        self.checkpoint_interval = checkpoint_interval
        self._track = track
        self._writer: GroupCommitWriter | None = None
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------------

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue a record; the future completes once it is committed (or fails, with the reason)."""
        text_, digest = body_digest(body)  # in the caller's thread: refuses what JSON cannot hold
        with self._lock:
            if self._writer is None:
                self._writer = GroupCommitWriter(self._commit)
            writer = self._writer
        return writer.submit(Pending(uuid.uuid4().hex, kind, body, text_, digest))

    def checkpoint(self) -> Checkpoint | None:
        """Note the current head now (None while the trail is empty)."""
        with self._transaction("writing a checkpoint") as conn:
            seq, record_id, head_hash = conn.execute(_LOCK_HEAD).one()
            if record_id is None:
                return None
            return _write_checkpoint(conn, seq, record_id, head_hash)

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the pool."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self.engine.dispose()

    def _commit(self, batch: Sequence[Pending]) -> list[AuditRecord]:
        with self._transaction("appending to the audit trail") as conn:
            head = conn.execute(_LOCK_HEAD).one_or_none()
            if head is None:
                raise AuditError("the audit schema has no chain head: run the module's `migrate` command")
            seq, prev_id, prev_hash = head
            created_at = utc_text(datetime.now(UTC))
            written, rows = [], []
            for pending in batch:
                seq += 1
                record = _chained(seq, pending, created_at, prev_id, prev_hash)
                written.append(record)
                rows.append({**_params(record), "body": pending.body_text})
                prev_id, prev_hash = record.id, record.hash
            conn.execute(_INSERT, rows)
            for record in written:
                if record.seq % self.checkpoint_interval == 0:
                    _write_checkpoint(conn, record.seq, record.id, record.hash)
            conn.execute(_MOVE_HEAD, {"seq": seq, "id": prev_id, "hash": prev_hash})
            return written

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        """One write transaction, durable on commit whatever the server's default (synchronous_commit)."""
        with self._track(), translated(what), self.engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = on"))
            yield conn

    # -- reading ---------------------------------------------------------------------------------

    @contextmanager
    def _snapshot(self, what: str) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent snapshot."""
        with self._track(), translated(what), self.engine.connect() as opened:
            conn = opened.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn

    def get(self, record_id: str) -> AuditRecord | None:
        """The record with this id, or None."""
        with self._snapshot("reading a record") as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM audit_records WHERE id = :id"), {"id": record_id})  # noqa: S608
            found = row.one_or_none()
        return None if found is None else _record(found)

    def records(self) -> Iterator[AuditRecord]:
        """Every live record in chain order (streamed)."""
        with self._snapshot("reading the audit trail") as conn:
            rows = _all_records(conn)
            try:
                yield from map(_record, rows)
            finally:
                rows.close()  # a reader that stopped early: close the server-side cursor inside its transaction

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Every live checkpoint in order."""
        with self._snapshot("reading checkpoints") as conn:
            yield from _checkpoints(conn)

    def anchors(self) -> Iterator[Anchor]:
        """Every archived segment, oldest first."""
        with self._snapshot("reading anchors") as conn:
            yield from _anchors(conn)

    def verify(self) -> Verification:
        """Check the live chain from the last anchor, the chain-head row, and every live checkpoint."""
        with self._snapshot("verifying the audit trail") as conn:
            return _verify(conn)

    # -- archiving -------------------------------------------------------------------------------

    def archive(self, before: datetime, directory: Path, retain_years: int) -> ArchiveResult:
        """Move the records created before ``before`` to a segment file; the database keeps its anchor."""
        checked = self.verify()
        if not checked.ok:
            raise AuditError(f"refusing to archive a broken chain: {checked.broken}")
        with self._transaction("archiving the audit trail") as conn:
            conn.execute(_LOCK_HEAD)  # writers wait until the segment is out
            start = _start(conn)
            rows = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM audit_records WHERE seq < "  # noqa: S608
                    "(SELECT COALESCE(MIN(seq), 9223372036854775807) FROM audit_records WHERE created_at >= :cut) "
                    "ORDER BY seq"
                ),
                {"cut": utc_text(before)},
            ).all()
            if not rows:
                return ArchiveResult(None, 0, start.hash)
            records = [_record(row) for row in rows]
            last = records[-1].seq
            checkpoints = [c for c in _checkpoints(conn) if c.seq <= last]
            segment = write_segment(directory, start, records, checkpoints, retain_years)
            conn.execute(
                text(
                    "INSERT INTO audit_anchors (last_seq, head_id, head_hash, file, file_sha256, count, archived_at) "
                    "VALUES (:last, :id, :hash, :file, :sha, :count, :at)"
                ),
                {
                    "last": last,
                    "id": records[-1].id,
                    "hash": records[-1].hash,
                    "file": segment.name,
                    "sha": segment.sha256,
                    "count": len(records),
                    "at": segment.at,
                },
            )
            conn.execute(text("DELETE FROM audit_checkpoints WHERE seq <= :last"), {"last": last})
            conn.execute(text("DELETE FROM audit_records WHERE seq <= :last"), {"last": last})
        return ArchiveResult(segment.path, len(records), records[-1].hash)


def _all_records(conn: Connection) -> CursorResult[Any]:
    """Every live record in chain order, streamed through a server-side cursor."""
    return conn.execution_options(yield_per=1000).execute(text(f"SELECT {_COLUMNS} FROM audit_records ORDER BY seq"))  # noqa: S608


def _params(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "id": record.id,
        "kind": record.kind,
        "created_at": record.created_at,
        "prev_id": record.prev_id,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


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


def _write_checkpoint(conn: Connection, seq: int, record_id: str, head_hash: str) -> Checkpoint:
    checkpoint = Checkpoint(seq, record_id, head_hash, utc_text(datetime.now(UTC)))
    conn.execute(_CHECKPOINT, checkpoint.__dict__)
    return checkpoint


def _checkpoints(conn: Connection) -> Iterator[Checkpoint]:
    rows = conn.execute(text("SELECT seq, record_id, head_hash, created_at FROM audit_checkpoints ORDER BY seq"))
    return (Checkpoint(*row) for row in rows)


def _anchors(conn: Connection) -> Iterator[Anchor]:
    rows = conn.execute(
        text(
            "SELECT last_seq, head_id, head_hash, file, file_sha256, count, archived_at "
            "FROM audit_anchors ORDER BY last_seq"
        )
    )
    return (Anchor(*row) for row in rows)


def _start(conn: Connection) -> Link:
    row = conn.execute(text("SELECT head_hash, head_id FROM audit_anchors ORDER BY last_seq DESC LIMIT 1")).first()
    return Link() if row is None else Link(row[0], row[1])


def _verify(conn: Connection) -> Verification:
    def is_stored_hash(digest: str) -> bool:
        found = conn.execute(text("SELECT 1 FROM audit_records WHERE hash = :h"), {"h": digest}).first()
        return found is not None

    counted = [0]
    last: list[AuditRecord] = []

    def counting(rows: Iterable[Sequence[Any]]) -> Iterator[AuditRecord]:
        for row in rows:
            counted[0] += 1
            last[:] = [_record(row)]
            yield last[0]

    start = _start(conn)
    head = conn.execute(text("SELECT seq, record_id, hash FROM audit_head WHERE id = 1")).one_or_none()
    if head is None:
        raise AuditError("the audit schema has no chain head: run the module's `migrate` command")
    checkpoints = list(_checkpoints(conn))
    rows = _all_records(conn)
    try:
        broken: Break | None = first_break(counting(rows), start, is_stored_hash)
    finally:
        rows.close()
    if broken is None:
        broken = _head_break(head, last[0] if last else None, start)
    if broken is None:
        broken = _checkpoint_break(conn, checkpoints)
    return Verification(counted[0], len(checkpoints), head[2], broken)


def _head_break(head: Sequence[Any], last: AuditRecord | None, start: Link) -> Break | None:
    """The head row moves with every append: a chain that ends elsewhere lost its newest records."""
    seq, record_id, head_hash = head
    ends_at = (last.id, last.hash) if last is not None else (start.id, start.hash)
    if ends_at == (record_id, head_hash):
        return None
    return Break("deleted", str(record_id), f"the chain head names record {seq} but the chain ends before it")


def _checkpoint_break(conn: Connection, checkpoints: list[Checkpoint]) -> Break | None:
    for checkpoint in checkpoints:
        row = conn.execute(
            text("SELECT id, hash FROM audit_records WHERE seq = :seq"), {"seq": checkpoint.seq}
        ).one_or_none()
        if row is None:
            return Break("deleted", checkpoint.record_id, f"checkpoint {checkpoint.seq} names it but it is gone")
        if tuple(row) != (checkpoint.record_id, checkpoint.head_hash):
            return Break("edited", checkpoint.record_id, f"the chain was rewritten up to checkpoint {checkpoint.seq}")
    return None
