"""The tamper-evident audit trail: append-only, hash-chained, checkpointed, durable before a response.

:class:`AuditStore` is the interface (the PostgreSQL module implements it too); :class:`SqliteAuditStore`
is the default. Records are chained by SHA-256 over canonical JSON; ``verify`` names the first record
edited, deleted, inserted or reordered; ``archive`` moves old records to a file without breaking the chain.
"""

from ._archive import export_jsonl, verify_segment, verify_segments
from ._chain import GENESIS, AuditRecord, Break, Link, canonical_json, first_break, record_hash
from ._sqlite import SqliteAuditStore, utc_text
from ._store import Anchor, ArchiveResult, AuditError, AuditStore, Checkpoint, Verification

__all__ = [
    "GENESIS",
    "Anchor",
    "ArchiveResult",
    "AuditError",
    "AuditRecord",
    "AuditStore",
    "Break",
    "Checkpoint",
    "Link",
    "SqliteAuditStore",
    "Verification",
    "canonical_json",
    "export_jsonl",
    "first_break",
    "record_hash",
    "utc_text",
    "verify_segment",
    "verify_segments",
]
