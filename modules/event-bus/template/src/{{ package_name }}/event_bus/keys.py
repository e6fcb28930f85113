"""The processed-keys store: which idempotency keys were scored (with the decision), and failed attempts.

A small SQLite file owned by this module (the audit trail has no lookup by key). WAL mode and
``synchronous=FULL``: a key recorded before the message is acknowledged survives a crash, so the
redelivered message is answered from here instead of being scored again. One file per consumer
process: consumers on other machines do not see each other's keys (see the module's README).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (key TEXT PRIMARY KEY, decision BLOB NOT NULL, processed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS processed_by_time ON processed (processed_at);
CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_error TEXT);
"""


class KeyStoreError(Exception):
    """The processed-keys file cannot be opened; the message names it."""


class ProcessedKeys:
    """Keys already scored and attempts so far; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            msg = f"cannot open the event-bus processed-keys file {path}: {exc}"
            raise KeyStoreError(msg) from exc
        self._lock = threading.Lock()

    def decision(self, key: str) -> bytes | None:
        """The decision published for ``key``, or None when it was never scored."""
        with self._lock:
            row = self._conn.execute("SELECT decision FROM processed WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def begin(self, key: str) -> int:
        """Count one more attempt at ``key`` and return how many there have been (1 for the first)."""
        with self._lock:
            row = self._conn.execute(
                "INSERT INTO attempts (key, count) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count",
                (key,),
            ).fetchone()
        return int(row[0])

    def retract(self, key: str) -> None:
        """Take back the attempt just counted (it was not the message's fault)."""
        with self._lock:
            self._conn.execute("UPDATE attempts SET count = count - 1 WHERE key = ?", (key,))

    def fail(self, key: str, error: str) -> None:
        """Note why the last attempt at ``key`` failed."""
        with self._lock:
            self._conn.execute("UPDATE attempts SET last_error = ? WHERE key = ?", (error, key))

    def last_error(self, key: str) -> str | None:
        """Why the last attempt at ``key`` failed, if it did."""
        with self._lock:
            row = self._conn.execute("SELECT last_error FROM attempts WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def finish(self, key: str, decision: bytes) -> None:
        """Remember ``key`` as scored, with its decision, in one durable transaction."""
        now = datetime.now(UTC).isoformat()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT OR IGNORE INTO processed (key, decision, processed_at) VALUES (?, ?, ?)",
                    (key, decision, now),
                )
                self._conn.execute("DELETE FROM attempts WHERE key = ?", (key,))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def forget_attempts(self, key: str) -> None:
        """Drop the attempt count of ``key`` (it went to the dead letter; a corrected resend starts afresh)."""
        with self._lock:
            self._conn.execute("DELETE FROM attempts WHERE key = ?", (key,))

    def prune(self, retention: timedelta) -> int:
        """Forget keys scored longer ago than ``retention``; returns how many."""
        cutoff = (datetime.now(UTC) - retention).isoformat()
        with self._lock:
            return self._conn.execute("DELETE FROM processed WHERE processed_at < ?", (cutoff,)).rowcount

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            self._conn.close()
