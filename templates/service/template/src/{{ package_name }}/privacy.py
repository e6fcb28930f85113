"""Crypto-shredding: personal data in the audit trail is encrypted with a key per data subject.

Each applicant (the data subject, known by ``applicant_id``) gets a random 256-bit key and a random
subject reference (a UUID) in the subject key store, an SQLite file of its own (``subject_keys_path``,
default ``var/subject-keys.db``), kept apart from the audit trail on purpose: the trail is copied,
exported and archived for years, the keys must be destroyable. A decision record carries
``subject: {ref, personal}``, ``personal`` being the fields marked ``x-personal`` sealed with AES-256-GCM
(random 96-bit nonce, the subject reference as associated data, so an envelope cannot be passed off as
another subject's).

Erasing a subject (right to erasure: DPDP Act s.12, GDPR Art. 17) deletes its key row: every envelope
of that subject, in the live trail, its exports and its archives, can then no longer be decrypted, while
the ciphertext, and so the hash chain, is unchanged and ``audit verify`` still passes.

Choices, and why:

- Rows are found by HMAC-SHA256 of the applicant id, never the id itself. The HMAC secret is generated
  once into the key store (table ``meta``): secret and keys are restored together or not at all, so a
  restored store always finds its own rows (a secret held elsewhere and lost would make ``erase`` miss
  every existing key while claiming nothing to erase).
- Key creation is durable before the decision that uses it is written: ``synchronous=FULL`` in WAL
  mode, so a crash cannot leave a decision record whose key was never on disk (shredded by accident).
  No key is cached in memory: an erasure made by the CLI in another process takes effect at once.
- ``secure_delete=ON`` on every connection overwrites deleted rows with zeros, and erasure ends with a
  ``wal_checkpoint(TRUNCATE)``, so the key bytes linger neither in the database file nor in its WAL.
- Erasure deletes the key first, then writes the ``erasure`` audit record (subject ref, reason, who,
  when; no personal data): the record only ever states what already happened. The key's deletion and
  a pending note for the record commit in one transaction (an outbox); a record that could not be
  written stays pending and is written by the next erasure. Erasing an unknown or already erased
  subject changes nothing and says so (``not_found``): the store keeps no trace of erased ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .audit import AuditStore, canonical_json
from .decisions import wait_for_record
from .logs import get_logger
from .schemas import PERSONAL_FIELDS, Applicant
from .storage import connect_durable

ERASURE = "erasure"
ALGORITHM = "AES-256-GCM"
_KEY_BYTES, _NONCE_BYTES = 32, 12
_PRAGMAS = ("secure_delete=ON",)  # deleted keys are overwritten, not just unlinked from the b-tree
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subjects (
    lookup BLOB PRIMARY KEY, ref TEXT NOT NULL UNIQUE, key BLOB NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_erasures (
    ref TEXT PRIMARY KEY, reason TEXT NOT NULL, by TEXT NOT NULL, erased_at TEXT NOT NULL) WITHOUT ROWID;
"""
log = get_logger(__name__)


class SubjectKeyError(Exception):
    """The subject key store cannot be opened or used; the message says what to do."""


@dataclass(frozen=True)
class SubjectKey:
    """A data subject's reference and encryption key."""

    ref: str
    key: bytes


@dataclass(frozen=True)
class Erasure:
    """The outcome of an erasure request: ``erased`` (with its audit record, if written) or ``not_found``."""

    status: Literal["erased", "not_found"]
    subject_ref: str | None
    record_id: str | None
    flushed: int  # earlier erasures whose pending audit records were written now


@dataclass
class _NewKey:
    """A key waiting to be written; the thread that writes its batch fills in the outcome."""

    lookup: bytes
    ref: str
    key: bytes
    result: SubjectKey | None = None
    error: Exception | None = None
    done: bool = False


class SubjectKeyStore:
    """Subject keys in one SQLite file; safe for several threads and processes (the CLI erases too).

    New keys are group-committed: while one thread syncs a transaction, the keys other requests need
    queue up, and the next thread to write takes them all in one transaction (one fsync for many new
    applicants). Reads use a connection of their own, so they see only keys already on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = connect_durable(path, schema=_SCHEMA, pragmas=_PRAGMAS)  # writes, under self._lock
            self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('lookup_secret', ?)", (os.urandom(_KEY_BYTES),))
            row = self._conn.execute("SELECT value FROM meta WHERE name = 'lookup_secret'").fetchall()[0]
            self._secret: bytes = bytes(row[0])
            self._reader = connect_durable(path, pragmas=_PRAGMAS)  # reads, under self._reading
        except (OSError, sqlite3.Error) as exc:
            raise SubjectKeyError(
                f"cannot open the subject key store at {path}: {exc} (check the path and its permissions)"
            ) from exc
        self._lock, self._reading, self._queueing = threading.Lock(), threading.Lock(), threading.Lock()
        self._queue: list[_NewKey] = []

    def _lookup(self, applicant_id: str) -> bytes:
        return hmac.new(self._secret, applicant_id.encode(), hashlib.sha256).digest()

    def key_for(self, applicant_id: str) -> SubjectKey:
        """The subject's key, created (and synced to disk before this returns) if it has none."""
        lookup = self._lookup(applicant_id)
        found = self._find(lookup)
        if found is not None:
            return found
        item = _NewKey(lookup, str(uuid.uuid4()), AESGCM.generate_key(bit_length=256))
        with self._queueing:
            self._queue.append(item)
        with self._lock:
            if not item.done:  # no other thread wrote it meanwhile: write everything queued so far
                with self._queueing:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if item.result is None:
            raise SubjectKeyError(f"a new subject key could not be stored in {self.path}: {item.error}")
        return item.result

    def _write(self, batch: list[_NewKey]) -> None:
        """One transaction, synced before it returns (synchronous=FULL); outcomes published after COMMIT."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO subjects VALUES (?, ?, ?, ?) ON CONFLICT (lookup) DO NOTHING",
                    [(i.lookup, i.ref, i.key, _now()) for i in batch],
                )
                sql = "SELECT ref, key FROM subjects WHERE lookup = ?"  # an earlier writer's key wins
                rows = [self._conn.execute(sql, (i.lookup,)).fetchall()[0] for i in batch]
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except Exception as exc:  # every waiter learns that its key was not stored
            for item in batch:
                item.error, item.done = exc, True
            return
        for item, row in zip(batch, rows, strict=True):
            item.result, item.done = SubjectKey(row[0], bytes(row[1])), True

    def find(self, applicant_id: str) -> SubjectKey | None:
        """The subject's key, or None (never scored, or erased)."""
        return self._find(self._lookup(applicant_id))

    def key_by_ref(self, ref: str) -> bytes | None:
        """The key of the subject with this reference, or None once erased."""
        with self._reading:
            rows = self._reader.execute("SELECT key FROM subjects WHERE ref = ?", (ref,)).fetchall()
        return bytes(rows[0][0]) if rows else None

    def _find(self, lookup: bytes) -> SubjectKey | None:
        with self._reading:  # fetchall: the statement ends, so no read lingers to block a WAL truncation
            rows = self._reader.execute("SELECT ref, key FROM subjects WHERE lookup = ?", (lookup,)).fetchall()
        return SubjectKey(rows[0][0], bytes(rows[0][1])) if rows else None

    def delete(self, applicant_id: str, *, reason: str, by: str) -> str | None:
        """Delete the subject's key and note the erasure as pending its audit record; its ref, or None."""
        lookup = self._lookup(applicant_id)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._conn.execute("SELECT ref FROM subjects WHERE lookup = ?", (lookup,)).fetchall()
                row = rows[0] if rows else None
                if row is not None:
                    self._conn.execute("DELETE FROM subjects WHERE lookup = ?", (lookup,))
                    self._conn.execute("INSERT INTO pending_erasures VALUES (?, ?, ?, ?)", (row[0], reason, by, _now()))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            if row is not None:
                self._truncate_wal()
        return None if row is None else str(row[0])

    def delete_refs(self, refs: set[str]) -> int:
        """Delete the keys of these subject references (erasures reapplied after a restore); how many were here."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = sum(self._conn.execute("DELETE FROM subjects WHERE ref = ?", (r,)).rowcount for r in refs)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            if deleted:
                self._truncate_wal()
        return deleted

    def _truncate_wal(self) -> None:
        """Copy the WAL into the file and empty it, so the deleted key survives in neither."""
        busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()[0][0]
        if busy:  # a reader held the WAL: the next erasure or checkpoint empties it
            log.warning("subject_keys_wal_not_truncated", path=str(self.path))

    def pending(self) -> list[dict[str, str]]:
        """Erasures whose audit record is not written yet, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT ref, reason, by, erased_at FROM pending_erasures ORDER BY erased_at")
            return [{"subject_ref": r[0], "reason": r[1], "by": r[2], "erased_at": r[3]} for r in rows]

    def recorded(self, ref: str) -> None:
        """The erasure of ``ref`` is in the audit trail: it is no longer pending."""
        with self._lock:
            self._conn.execute("DELETE FROM pending_erasures WHERE ref = ?", (ref,))

    def close(self) -> None:
        """Release the file."""
        self._reader.close()
        self._conn.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def personal_fields(applicant: Applicant) -> dict[str, Any]:
    """The applicant's fields marked ``x-personal``: what the envelope holds."""
    return {k: v for k, v in applicant.model_dump().items() if k in PERSONAL_FIELDS}


def seal(subject: SubjectKey, personal: Mapping[str, Any]) -> dict[str, str]:
    """An AES-256-GCM envelope of ``personal`` under the subject's key (the ref is associated data)."""
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(subject.key).encrypt(nonce, canonical_json(personal).encode(), subject.ref.encode())
    return {"alg": ALGORITHM, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}


def unseal(key: bytes, ref: str, envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The personal fields in ``envelope``; :class:`SubjectKeyError` if it does not open with this key."""
    try:
        nonce, ciphertext = base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"])
        text = AESGCM(key).decrypt(nonce, ciphertext, ref.encode())
    except (InvalidTag, KeyError, TypeError, ValueError) as exc:
        raise SubjectKeyError(f"the personal data of subject {ref} does not decrypt with its key") from exc
    value: dict[str, Any] = json.loads(text)
    return value


def subject_entry(keys: SubjectKeyStore | None, applicant: Applicant) -> dict[str, Any]:
    """The decision record's ``subject``: its reference and its sealed personal data (key created if new)."""
    if keys is None:
        raise SubjectKeyError("the subject key store is not open")
    subject = keys.key_for(applicant.applicant_id)
    return {"ref": subject.ref, "personal": seal(subject, personal_fields(applicant))}


def read_subject(
    keys: SubjectKeyStore | None, entry: Mapping[str, Any], *, may_read: bool
) -> tuple[Literal["available", "erased", "withheld", "unavailable"], dict[str, Any] | None]:
    """What a caller sees of a record's subject: the personal fields while the key exists, else why not.

    Whether the subject is erased is told to every caller; the personal fields only to those who ``may_read``.
    """
    if keys is None:
        return "unavailable", None
    try:
        key = keys.key_by_ref(str(entry["ref"]))
        if key is None:
            return "erased", None
        if not may_read:
            return "withheld", None
        return "available", unseal(key, str(entry["ref"]), entry["personal"])
    except (SubjectKeyError, sqlite3.Error) as exc:
        log.error("subject_not_readable", reason=str(exc))
        return "unavailable", None


def erase(
    keys: SubjectKeyStore, trail: AuditStore | None, applicant_id: str, *, reason: str, by: str, timeout: float
) -> Erasure:
    """Erase a data subject: delete its key (shredding its personal data), then audit it (kind ``erasure``).

    Pending erasure records of earlier calls are written first. ``record_id`` is None when the trail
    could not take the record: it stays pending in the key store and the next erasure writes it.
    """
    flushed = sum(_record_erasure(keys, trail, pending, timeout) is not None for pending in keys.pending())
    ref = keys.delete(applicant_id, reason=reason, by=by)
    if ref is None:
        log.info("subject_erasure_not_found")
        return Erasure("not_found", None, None, flushed)
    log.warning("subject_erased", subject_ref=ref, by=by)
    pending = next(p for p in keys.pending() if p["subject_ref"] == ref)
    return Erasure("erased", ref, _record_erasure(keys, trail, pending, timeout), flushed)


def _record_erasure(
    keys: SubjectKeyStore, trail: AuditStore | None, pending: dict[str, str], timeout: float
) -> str | None:
    try:
        if trail is None:
            raise RuntimeError("the audit trail is not open")
        record = wait_for_record(trail.submit(ERASURE, pending), timeout)
    except Exception as exc:  # the key is gone either way; the record stays pending (see erase)
        log.error("audit_write_failed", kind=ERASURE, error_type=type(exc).__name__, reason=str(exc))
        return None
    keys.recorded(pending["subject_ref"])
    return record.id


def reapply_erasures(keys: SubjectKeyStore, trail: AuditStore) -> tuple[int, int]:
    """After the key store is restored from a backup: delete every key the trail's ``erasure`` records name.

    Returns (keys deleted, erasure records read). Only live records are read: erasures archived out of
    the trail are older than any backup the runbook lets you keep.
    """
    refs = {str(r.body["subject_ref"]) for r in trail.records() if r.kind == ERASURE}
    deleted = keys.delete_refs(refs)
    if deleted:
        log.warning("subject_erasures_reapplied", deleted=deleted)
    return deleted, len(refs)
