"""The human review queue: referred decisions wait here, durably, until a reviewer decides them.

A small SQLite file (``<PREFIX>_REVIEW_PATH``, beside the audit trail by default) so the queue survives
restarts. The audit trail stays the record of what happened (decisions, reviews, appeals); this file
only says which cases are waiting and which audit records belong to each case. A case's id is its
decision's audit record id, or the request id when the decision could not be recorded (fail safe).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .storage import connect_durable

CaseStatus = Literal["pending", "in_review", "reviewed"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
  case_id TEXT PRIMARY KEY,
  decision_id TEXT,
  request_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'in_review', 'reviewed')),
  queued_at TEXT NOT NULL,
  decision TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_pending ON cases (status, queued_at);
CREATE TABLE IF NOT EXISTS actions (
  case_id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_case ON actions (case_id);
"""


class ReviewQueueError(Exception):
    """The review queue cannot be opened or written; the message says where and why."""


@dataclass(frozen=True)
class Case:
    """One case in the queue and the decision (as recorded, no personal data) that sent it there."""

    case_id: str
    decision_id: str | None
    request_id: str
    reason: str
    status: CaseStatus
    queued_at: str
    decision: dict[str, Any]


class ReviewQueue:
    """Durable (synchronous=FULL) queue of cases; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = connect_durable(path, schema=_SCHEMA, timeout=5.0)  # sqlite3's default busy timeout
        except (OSError, sqlite3.Error) as exc:
            msg = f"cannot open the review queue {path}: {exc}"
            raise ReviewQueueError(msg) from exc
        self._lock = threading.Lock()

    def enqueue(self, case_id: str, decision_id: str | None, request_id: str, reason: str, decision: Any) -> None:
        """Put a case in the queue (again, for an appeal): pending from now on."""
        self._write(
            "INSERT INTO cases VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (case_id) DO UPDATE SET "
            "status = 'pending', reason = excluded.reason, queued_at = excluded.queued_at",
            (case_id, decision_id, request_id, reason, _now(), json.dumps(decision)),
        )

    def pending(self, limit: int = 100) -> list[Case]:
        """The oldest pending cases first."""
        rows = self._read("SELECT * FROM cases WHERE status = 'pending' ORDER BY queued_at LIMIT ?", (limit,))
        return [_case(row) for row in rows]

    def depth(self) -> int:
        """How many cases wait for a reviewer."""
        return int(self._read("SELECT COUNT(*) FROM cases WHERE status = 'pending'", ())[0][0])

    def case(self, case_id: str) -> Case | None:
        """The case with this id, whatever its status."""
        rows = self._read("SELECT * FROM cases WHERE case_id = ?", (case_id,))
        return _case(rows[0]) if rows else None

    def claim(self, case_id: str) -> bool:
        """Take a pending case for review; False when it is not pending (one reviewer wins a race)."""
        return self._write("UPDATE cases SET status = 'in_review' WHERE case_id = ? AND status = 'pending'", (case_id,))

    def release(self, case_id: str, *, reviewed: bool) -> None:
        """Finish a claim: reviewed, or back to pending when the review could not be recorded."""
        status = "reviewed" if reviewed else "pending"
        self._write("UPDATE cases SET status = ? WHERE case_id = ? AND status = 'in_review'", (status, case_id))

    def note(self, case_id: str, record_id: str, kind: str) -> None:
        """Remember that the audit record ``record_id`` (a review or an appeal) belongs to the case."""
        self._write("INSERT INTO actions VALUES (?, ?, ?, ?)", (case_id, record_id, kind, _now()))

    def actions(self, case_id: str) -> list[str]:
        """The audit record ids of the case's reviews and appeals, oldest first."""
        rows = self._read("SELECT record_id FROM actions WHERE case_id = ? ORDER BY rowid", (case_id,))
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> bool:
        try:
            with self._lock:
                return self._db.execute(sql, parameters).rowcount > 0
        except sqlite3.Error as exc:
            msg = f"review queue write failed: {exc}"
            raise ReviewQueueError(msg) from exc

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            msg = f"review queue read failed: {exc}"
            raise ReviewQueueError(msg) from exc


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _case(row: tuple[Any, ...]) -> Case:
    case_id, decision_id, request_id, reason, status, queued_at, decision = row
    return Case(case_id, decision_id, request_id, reason, status, queued_at, json.loads(decision))
