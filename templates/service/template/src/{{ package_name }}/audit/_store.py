"""The interface every audit store implements (SQLite here; the PostgreSQL module adds another)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ._chain import AuditRecord, Break


class AuditError(Exception):
    """The audit trail cannot be opened, written or read; the message says what to do."""


@dataclass(frozen=True)
class Checkpoint:
    """Every N records the store notes the chain head in the store itself.

    A checkpoint catches an edit whose later hashes were *not* all recomputed up to it; it cannot catch a
    truncation or a recomputed chain, since whoever can rewrite the records can rewrite or delete the
    checkpoint rows too. The signed heads in the witness (``_witness``) are what catch those.
    """

    seq: int
    record_id: str
    head_hash: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as a JSON object (export and archive files)."""
        return {"type": "checkpoint", **self.__dict__}


@dataclass(frozen=True)
class Anchor:
    """What the live store keeps of an archived segment: the link to it and the file that holds it."""

    last_seq: int
    head_id: str
    head_hash: str
    file: str
    file_sha256: str
    count: int
    archived_at: str

    def to_json(self) -> dict[str, Any]:
        """The anchor as a JSON object (export files)."""
        return {"type": "anchor", **self.__dict__}


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a whole trail: how much was checked and the first break, if any."""

    records: int
    checkpoints: int
    head_hash: str
    broken: Break | str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return self.broken is None


@dataclass(frozen=True)
class ArchiveResult:
    """What ``archive`` moved out of the live store, and where to."""

    file: Path | None
    count: int
    head_hash: str


class AuditStore(Protocol):
    """An append-only, hash-chained, durable record store.

    ``submit`` returns at once; its future completes only after the record is durably committed, so
    a caller that waits for it can rely on the record surviving a crash.
    """

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue a record for the next group commit."""
        ...

    def get(self, record_id: str) -> AuditRecord | None:
        """The record with this id, or None."""
        ...

    def records(self) -> Iterator[AuditRecord]:
        """Every live record in chain order."""
        ...

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Every live checkpoint in order."""
        ...

    def anchors(self) -> Iterator[Anchor]:
        """Every archived segment, oldest first."""
        ...

    def verify(self) -> Verification:
        """Check the whole live chain and its checkpoints."""
        ...

    def checkpoint(self) -> Checkpoint | None:
        """Note the current chain head now (None while the store is empty)."""
        ...

    def archive(self, before: datetime, directory: Path, retain_years: int) -> ArchiveResult:
        """Move the records created before ``before`` to a file in ``directory``, keeping the link."""
        ...

    def close(self) -> None:
        """Commit what is queued and release the store."""
        ...


class StoreWrapper:
    """An :class:`AuditStore` that hands every call to ``store``; subclasses override what they add.

    The witness (:class:`~._witnessed.WitnessedStore`) and the integrations' listeners wrap the store
    this way, so neither repeats the protocol's delegation.
    """

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue a record for the next group commit."""
        return self.store.submit(kind, body)

    def get(self, record_id: str) -> AuditRecord | None:
        """The record with this id, or None."""
        return self.store.get(record_id)

    def records(self) -> Iterator[AuditRecord]:
        """Every live record in chain order."""
        return self.store.records()

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Every live checkpoint in order."""
        return self.store.checkpoints()

    def anchors(self) -> Iterator[Anchor]:
        """Every archived segment, oldest first."""
        return self.store.anchors()

    def verify(self) -> Verification:
        """Check the live chain and its checkpoints."""
        return self.store.verify()

    def checkpoint(self) -> Checkpoint | None:
        """Note the current head in the store."""
        return self.store.checkpoint()

    def archive(self, before: datetime, directory: Path, retain_years: int) -> ArchiveResult:
        """Move old records to a segment file."""
        return self.store.archive(before, directory, retain_years)

    def close(self) -> None:
        """Commit what is queued and release the store."""
        self.store.close()
