"""The ledger: which files were ingested (by SHA-256), the accepted records (by key), and checkpoints.

One SQLite file (WAL, ``synchronous=FULL``). Each batch of rows is committed in one transaction together
with the checkpoint (the last row it covers and the quarantine file's length at that point), so a crash
loses at most the batch in progress, and the next run resumes after the checkpoint.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    digest TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    layout TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    quarantined TEXT NOT NULL DEFAULT '{}',
    quarantine_bytes INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    file_digest TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    fields TEXT NOT NULL
);
"""


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class FileEntry:
    """A file the ledger knows: its progress or its final counts."""

    digest: str
    name: str
    layout: str
    status: str
    rows_read: int
    accepted: int
    quarantined: dict[str, int]
    quarantine_bytes: int
    started_at: str
    finished_at: str | None


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


class Ledger:
    """The ledger in one SQLite file; one ingest at a time per file digest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the ledger {path}: {exc}; check the folder is writable") from exc

    def close(self) -> None:
        self._conn.close()

    def file(self, digest: str) -> FileEntry | None:
        row = self._conn.execute(
            "SELECT digest, name, layout, status, rows_read, accepted, quarantined, quarantine_bytes, "
            "started_at, finished_at FROM files WHERE digest = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        values = list(row)
        values[6] = json.loads(values[6])
        return FileEntry(*values)

    def files(self) -> list[FileEntry]:
        """Every file the ledger knows, oldest first."""
        try:
            digests = [r[0] for r in self._conn.execute("SELECT digest FROM files ORDER BY started_at")]
            return [entry for d in digests if (entry := self.file(d)) is not None]
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from exc

    def begin(self, digest: str, name: str, layout: str) -> FileEntry:
        """Start (or find, to resume) the ingest of the file with ``digest``."""
        now = datetime.now(UTC).isoformat()
        self._conn.execute(
            "INSERT INTO files (digest, name, layout, status, started_at) VALUES (?, ?, ?, 'in_progress', ?) "
            "ON CONFLICT (digest) DO NOTHING",
            (digest, name, layout, now),
        )
        entry = self.file(digest)
        assert entry is not None  # noqa: S101 (just inserted)
        return entry

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` already accepted (from any file)."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._conn.execute(f"SELECT key FROM records WHERE key IN ({marks})", chunk))  # noqa: S608
        return found

    def commit(
        self,
        digest: str,
        records: Sequence[tuple[str, int, dict[str, Any]]],
        *,
        rows_read: int,
        quarantined: dict[str, int],
        quarantine_bytes: int,
        finished: bool = False,
    ) -> None:
        """Store a batch of accepted records and the checkpoint after it, in one transaction."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO records (key, file_digest, row_number, fields) VALUES (?, ?, ?, ?)",
                [(key, digest, row, json.dumps(fields, default=_json, sort_keys=True)) for key, row, fields in records],
            )
            self._conn.execute(
                "UPDATE files SET rows_read = ?, accepted = accepted + ?, quarantined = ?, quarantine_bytes = ?, "
                "status = ?, finished_at = ? WHERE digest = ?",
                (
                    rows_read,
                    len(records),
                    json.dumps(quarantined, sort_keys=True),
                    quarantine_bytes,
                    "complete" if finished else "in_progress",
                    datetime.now(UTC).isoformat() if finished else None,
                    digest,
                ),
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc

    def records(self, digest: str | None = None) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """Accepted records (key, row number, fields), all or those of one file, in row order."""
        query = "SELECT key, row_number, fields FROM records"
        args: tuple[str, ...] = ()
        if digest is not None:
            query, args = query + " WHERE file_digest = ?", (digest,)
        for key, row, fields in self._conn.execute(query + " ORDER BY file_digest, row_number", args):
            yield key, row, json.loads(fields)

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
