"""Archive segments and exports: JSON Lines files that carry the chain, so they verify on their own.

A segment file starts with a header naming the link it continues from (the genesis or the previous
segment's head) and its own head; the live store keeps that head in an anchor row, so the live chain
goes on verifying after its oldest records leave, and each file can still be checked against it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._chain import AuditRecord, Break, Link, canonical_json, first_break
from ._store import Anchor, Checkpoint

if TYPE_CHECKING:
    from ._store import AuditStore

SEGMENT_FORMAT = 1


@dataclass(frozen=True)
class Segment:
    """A written segment file: where, its SHA-256 and when."""

    path: Path
    sha256: str
    at: str

    @property
    def name(self) -> str:
        """The file name the anchor keeps."""
        return self.path.name


def write_segment(
    directory: Path, start: Link, records: Sequence[AuditRecord], checkpoints: Iterable[Checkpoint], retain_years: int
) -> Segment:
    """Write ``records`` (with the header and their checkpoints) durably to a new segment file."""
    now = datetime.now(UTC)
    last = records[-1]
    header = {
        "type": "segment",
        "format": SEGMENT_FORMAT,
        "start_hash": start.hash,
        "start_id": start.id,
        "first_seq": records[0].seq,
        "last_seq": last.seq,
        "head_id": last.id,
        "head_hash": last.hash,
        "count": len(records),
        "archived_at": now.isoformat(),
        "retain_until": _years_after(datetime.fromisoformat(last.created_at), retain_years).date().isoformat(),
    }
    lines = [header, *(r.to_json() for r in records), *(c.to_json() for c in checkpoints)]
    payload = "".join(canonical_json(line) + "\n" for line in lines).encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{records[0].seq:012d}-{last.seq:012d}.jsonl"
    _write_durably(path, payload)
    return Segment(path, hashlib.sha256(payload).hexdigest(), now.isoformat())


def _years_after(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _write_durably(path: Path, payload: bytes) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def verify_segment(path: Path, anchor: Anchor, start: Link) -> Break | str | None:
    """Check a segment file: its chain from ``start``, its head against ``anchor``, then its bytes."""
    payload = path.read_bytes()
    lines = [json.loads(line) for line in payload.decode().splitlines()]
    header = lines[0] if lines and lines[0].get("type") == "segment" else {}
    if (header.get("start_hash"), header.get("start_id")) != (start.hash, start.id):
        return f"{path.name} does not continue from the previous segment"
    records = [AuditRecord.from_json(line) for line in lines if line.get("type") == "record"]
    hashes = {r.hash for r in records}
    broken = first_break(records, start, hashes.__contains__)
    if broken is not None:
        return broken
    if not records or (records[-1].id, records[-1].hash) != (anchor.head_id, anchor.head_hash):
        return f"{path.name} does not end at the head its anchor recorded"
    if hashlib.sha256(payload).hexdigest() != anchor.file_sha256:
        return f"{path.name} differs from the file that was archived (SHA-256 mismatch)"
    return None


def verify_segments(anchors: Iterable[Anchor], directory: Path) -> tuple[Break | str | None, list[str]]:
    """Check every anchored segment found in ``directory``; list those not found (moved to cold storage)."""
    start = Link()
    missing: list[str] = []
    for anchor in anchors:
        path = directory / anchor.file
        if path.is_file():
            broken = verify_segment(path, anchor, start)
            if broken is not None:
                return broken, missing
        else:
            missing.append(anchor.file)
        start = Link(anchor.head_hash, anchor.head_id)
    return None, missing


def export_jsonl(store: AuditStore, out: TextIO) -> int:
    """Write anchors, records and checkpoints as JSON Lines; return the number of records."""
    count = 0
    lines: Iterable[dict[str, Any]]
    for lines in (
        (a.to_json() for a in store.anchors()),
        (r.to_json() for r in store.records()),
        (c.to_json() for c in store.checkpoints()),
    ):
        for line in lines:
            out.write(canonical_json(line) + "\n")
            count += line["type"] == "record"
    return count
