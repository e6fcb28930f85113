"""The hash chain: canonical encoding, record hashes, and finding the first break in a chain.

Each record's hash is SHA-256 over the canonical JSON of its envelope (id, kind, time, the SHA-256 of
its canonical JSON body) and the previous record's hash and id, so editing, deleting, inserting or
reordering any record breaks the chain at that point. Everything here is pure: stores feed it records
and a look-up, so every store verifies the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal

GENESIS = "0" * 64  # the "previous hash" of the very first record

Problem = Literal["edited", "deleted", "inserted", "reordered"]


def canonical_json(value: Any) -> str:
    """One fixed text for a JSON value: sorted keys, no spaces, UTF-8 kept, no NaN or infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def body_digest(body: Mapping[str, Any]) -> tuple[str, str]:
    """The canonical text of a record body and its SHA-256 (hex)."""
    text = canonical_json(body)
    return text, hashlib.sha256(text.encode()).hexdigest()


def chain_hash(
    *, record_id: str, kind: str, created_at: str, prev_id: str | None, prev_hash: str, body_sha256: str
) -> str:
    """SHA-256 (hex) of a record's envelope: its identity, its body's hash and its predecessor's hash and id."""
    envelope = {
        "body_sha256": body_sha256,
        "created_at": created_at,
        "id": record_id,
        "kind": kind,
        "prev_hash": prev_hash,
        "prev_id": prev_id,
    }
    return hashlib.sha256(canonical_json(envelope).encode()).hexdigest()


def record_hash(
    *, record_id: str, kind: str, created_at: str, prev_id: str | None, prev_hash: str, body: Mapping[str, Any]
) -> str:
    """The hash a record with this content and predecessor must carry."""
    _, body_sha256 = body_digest(body)
    return chain_hash(
        record_id=record_id,
        kind=kind,
        created_at=created_at,
        prev_id=prev_id,
        prev_hash=prev_hash,
        body_sha256=body_sha256,
    )


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the trail, as stored: position, identity, content and chain hashes."""

    seq: int
    id: str
    kind: str
    created_at: str
    prev_id: str | None
    prev_hash: str
    hash: str
    body: Mapping[str, Any]

    def computed_hash(self) -> str:
        """The hash this record's content should have."""
        return record_hash(
            record_id=self.id,
            kind=self.kind,
            created_at=self.created_at,
            prev_id=self.prev_id,
            prev_hash=self.prev_hash,
            body=self.body,
        )

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (export and archive files)."""
        return {
            "type": "record",
            "seq": self.seq,
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at,
            "prev_id": self.prev_id,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "body": dict(self.body),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Read a record written by :meth:`to_json`."""
        return cls(
            seq=int(data["seq"]),
            id=str(data["id"]),
            kind=str(data["kind"]),
            created_at=str(data["created_at"]),
            prev_id=None if data["prev_id"] is None else str(data["prev_id"]),
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
            body=dict(data["body"]),
        )


@dataclass(frozen=True)
class Link:
    """Where a chain segment starts: the hash and id of the record before it (GENESIS and None at first)."""

    hash: str = GENESIS
    id: str | None = None


@dataclass(frozen=True)
class Break:
    """The first place a chain is broken, naming the record concerned."""

    problem: Problem
    record_id: str
    detail: str

    def __str__(self) -> str:
        return f"record {self.record_id} was {self.problem}: {self.detail}"


def first_break(records: Iterable[AuditRecord], start: Link, is_stored_hash: Callable[[str], bool]) -> Break | None:
    """Walk ``records`` in stored order from ``start``; return the first break, or None when intact.

    ``is_stored_hash`` tells whether some record of the store has that hash (it tells a record moved
    elsewhere from one that was removed).
    """
    behind = [start]  # the last two good links
    pending: AuditRecord | None = None
    for following in chain(records, [None]):
        if pending is not None:
            found = _check(pending, behind, following, is_stored_hash)
            if found is not None:
                return found
            behind = [behind[-1], Link(pending.hash, pending.id)]
        pending = following
    return None


def _check(
    record: AuditRecord, behind: list[Link], following: AuditRecord | None, is_stored_hash: Callable[[str], bool]
) -> Break | None:
    if record.computed_hash() != record.hash:
        return Break("edited", record.id, "its content no longer matches its hash")
    if record.prev_hash == behind[-1].hash:
        return None
    return _misplaced(record, behind, following, is_stored_hash)


def _misplaced(
    record: AuditRecord, behind: list[Link], following: AuditRecord | None, is_stored_hash: Callable[[str], bool]
) -> Break:
    """``record`` is intact but does not link to the record before it: say which record is at fault."""
    previous = behind[-1]
    if len(behind) == 2 and previous.id is not None and record.prev_hash == behind[0].hash:  # noqa: PLR2004
        return Break("inserted", previous.id, f"record {record.id} links past it")
    if is_stored_hash(record.prev_hash):
        return Break("reordered", record.id, "it links to a record that is stored after it")
    if following is not None and following.prev_hash == previous.hash:
        return Break("inserted", record.id, f"record {following.id} links past it")
    if previous.id is not None and record.prev_id == previous.id:
        return Break("edited", previous.id, f"its hash differs from the one record {record.id} recorded")
    missing = record.prev_id or "(start of the segment)"
    return Break("deleted", missing, f"record {record.id} links to it but it is not there")
