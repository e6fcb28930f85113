"""Checking a trail against its witnessed heads: signatures first, then the record at each witnessed size.

A head says "the trail held ``size`` records and the last was ``head_id`` with ``head_hash``". Since
each record's hash covers every record before it, a trail that still holds that record at that
position holds, unchanged, everything up to it. So, after the chain itself verified:

- a trail shorter than a witnessed head was truncated (the records after its end up to the head are gone);
- a record that differs from its head was rewritten, somewhere after the last head that still matches;
- records after the newest head are not covered by any head: that window is reported, not checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ._store import Anchor, AuditStore
from ._witness import SignedHead


@dataclass(frozen=True)
class HeadCheck:
    """What the witnessed heads say about a trail of ``size`` records (live and archived)."""

    heads: int
    size: int
    newest: SignedHead | None  # the head of the largest size
    unchecked: int = 0  # heads inside archived segments whose files are not on disk
    problem: str | None = None

    @property
    def unwitnessed(self) -> int:
        """Records after the newest head: deleting or rewriting them would not be detected."""
        return self.size - (self.newest.size if self.newest else 0)


def check_heads(
    store: AuditStore, heads: Sequence[SignedHead], keys: Mapping[str, Ed25519PublicKey], archive_dir: Path
) -> HeadCheck:
    """Check every head's signature, then ``store`` against every head (see the module docstring)."""
    forged = _bad_signature(heads, keys)
    if forged is not None:
        return HeadCheck(len(heads), 0, None, problem=forged)
    anchors = list(store.anchors())
    found, size = _trail_at(store, anchors, {head.size for head in heads}, archive_dir)
    archived = anchors[-1].last_seq if anchors else 0
    ordered = sorted(heads, key=lambda head: head.size)
    newest = ordered[-1] if ordered else None
    unchecked = sum(1 for head in ordered if head.size <= archived and head.size not in found)
    problem = _first_problem(ordered, found, size, archived)
    return HeadCheck(len(heads), size, newest, unchecked, problem)


def _bad_signature(heads: Iterable[SignedHead], keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    for number, head in enumerate(heads, start=1):
        public = keys.get(head.key_id)
        if public is None:
            return (
                f"witnessed head {number} is signed with key {head.key_id}, which is not among the trusted public keys "
                "(a forged head, or a rotated key whose public key was dropped from the list)"
            )
        try:
            public.verify(base64.b64decode(head.signature, validate=True), head.signed_bytes())
        except (InvalidSignature, binascii.Error):
            return f"witnessed head {number} ({head.describe()}) has a bad signature: the witness was edited"
    return None


def _trail_at(
    store: AuditStore, anchors: Sequence[Anchor], sizes: set[int], archive_dir: Path
) -> tuple[dict[int, tuple[str, str]], int]:
    """(id, hash) of the records at ``sizes`` (live, anchored, or in segment files on disk), and the trail's size."""
    found: dict[int, tuple[str, str]] = {}
    size = anchors[-1].last_seq if anchors else 0
    for anchor in anchors:
        if anchor.last_seq in sizes:
            found[anchor.last_seq] = (anchor.head_id, anchor.head_hash)
        segment = archive_dir / anchor.file
        if segment.is_file():
            found.update(_segment_records(segment, sizes))
    for record in store.records():
        size = record.seq
        if record.seq in sizes:
            found[record.seq] = (record.id, record.hash)
    return found, size


def _segment_records(path: Path, sizes: set[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data.get("type") == "record" and data.get("seq") in sizes:
            found[int(data["seq"])] = (str(data["id"]), str(data["hash"]))
    return found


def _first_problem(
    ordered: Sequence[SignedHead], found: Mapping[int, tuple[str, str]], size: int, archived: int
) -> str | None:
    """The lowest place where the trail disagrees with a head, with the range of records affected."""
    matched = 0  # the largest witnessed size that still matches
    for head in ordered:
        if head.size > size:
            last = ordered[-1]
            return (
                f"truncated: the trail ends at record {size}, but {last.describe()}: "
                f"records {size + 1} to {last.size} were deleted"
            )
        held = found.get(head.size)
        if held is None and head.size <= archived:
            continue  # in a segment moved to cold storage: `audit verify` there checks it
        if held != (head.head_id, head.head_hash):
            return (
                f"rewritten: record {head.size} is not the one in {head.describe()}: "
                f"records {matched + 1} to {head.size} were rewritten or replaced"
            )
        matched = head.size
    return None
