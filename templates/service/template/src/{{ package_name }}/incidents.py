"""The incident register: what went wrong with the model, durable, with who closed it and why.

An embedded SQLite file (``incident_path``, default ``var/incidents.db``; WAL, synced commits) shared
by the service's workers and the CLI. Entries open automatically when the kill switch is engaged, when
a feature's drift goes over the threshold, and when training fails the fairness gate; a person closes
them with a note (``incidents close ID --note``). At most one incident per ``key`` (e.g. ``drift:score``)
is open at a time, enforced by a partial unique index, so a drifting feature does not open one incident
per request. Opening and closing are also written to the audit trail (kind ``incident``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .storage import connect_durable

INCIDENT = "incident"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
    summary TEXT NOT NULL, details TEXT NOT NULL, opened_at TEXT NOT NULL, opened_by TEXT NOT NULL,
    closed_at TEXT, closed_by TEXT, note TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_incident_per_key ON incidents (key) WHERE status = 'open';
"""
_COLUMNS = "id, kind, key, status, summary, details, opened_at, opened_by, closed_at, closed_by, note"

MAX_ID = 2**63 - 1
"""The largest incident id: SQLite stores integers in 64 bits."""


class IncidentError(Exception):
    """The register cannot be opened or changed; the message says what to do."""


@dataclass(frozen=True)
class Incident:
    """One entry of the register."""

    id: int
    kind: str
    key: str
    status: str
    summary: str
    details: dict[str, Any]
    opened_at: str
    opened_by: str
    closed_at: str | None = None
    closed_by: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object (API, CLI and audit record)."""
        return dict(self.__dict__)


def _incident(row: tuple[Any, ...]) -> Incident:
    values = list(row)
    values[5] = json.loads(values[5])
    return Incident(*values)


class IncidentRegister:
    """The register in one SQLite file; safe for several threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = connect_durable(path, schema=_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise IncidentError(f"cannot open the incident register at {path}: {exc}") from exc
        self._lock = threading.Lock()

    def open(self, kind: str, key: str, summary: str, details: dict[str, Any], by: str) -> Incident | None:
        """Open an incident; None when one with this ``key`` is already open (nothing is written)."""
        now = datetime.now(UTC).isoformat()
        text = json.dumps(details, ensure_ascii=False, sort_keys=True)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO incidents (kind, key, status, summary, details, opened_at, opened_by) "
                "VALUES (?, ?, 'open', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (kind, key, summary, text, now, by),
            )
            if cursor.rowcount == 0:
                return None
            return self.get(int(cursor.lastrowid or 0))

    def resolve(self, incident_id: int, note: str, by: str) -> Incident:
        """Close an open incident with a note; :class:`IncidentError` if it is unknown or already closed."""
        if not 1 <= incident_id <= MAX_ID:
            raise IncidentError(f"no incident has id {incident_id} (ids run from 1 to {MAX_ID})")
        if not note.strip():
            raise IncidentError("a note is required to close an incident (what was done, where it is recorded)")
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE incidents SET status = 'closed', closed_at = ?, closed_by = ?, note = ? "
                "WHERE id = ? AND status = 'open'",
                (datetime.now(UTC).isoformat(), by, note, incident_id),
            )
        incident = self.get(incident_id)
        if incident is None:
            raise IncidentError(f"no incident has id {incident_id} (list them with `incidents list`)")
        if cursor.rowcount == 0:
            raise IncidentError(
                f"incident {incident_id} is already closed ({incident.closed_at}, {incident.closed_by})"
            )
        return incident

    def get(self, incident_id: int) -> Incident | None:
        """The incident with this id, or None."""
        if not 1 <= incident_id <= MAX_ID:  # SQLite integers are 64-bit: a larger id cannot exist
            return None
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)).fetchone()  # noqa: S608
        return None if row is None else _incident(row)

    def list(self, status: str | None = None) -> list[Incident]:
        """Every incident (or those with ``status``), newest first."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM incidents {where} ORDER BY id DESC", args)  # noqa: S608
        return [_incident(row) for row in rows]

    def close(self) -> None:
        """Release the file."""
        self._conn.close()
