"""The tamper-evident audit trail: append-only, hash-chained, witnessed, durable before a response.

:class:`AuditStore` is the interface (the PostgreSQL module implements it too); :class:`SqliteAuditStore`
is the default. Records are chained by SHA-256 over canonical JSON; ``verify`` names the first record
edited, deleted, inserted or reordered; ``archive`` moves old records to a file without breaking the chain.
:class:`WitnessedStore` signs the chain head (Ed25519) into a :class:`Witness` outside the store, which
``audit verify`` checks the trail against: that is what catches a truncated or recomputed chain.
"""

from ._archive import export_jsonl, verify_segment, verify_segments
from ._chain import GENESIS, AuditRecord, Break, Link, canonical_json, first_break, record_hash
from ._heads import HeadCheck, check_heads
from ._sqlite import SqliteAuditStore, utc_text
from ._store import Anchor, ArchiveResult, AuditError, AuditStore, Checkpoint, StoreWrapper, Verification
from ._witness import FileWitness, SignedHead, Witness, WitnessKey, create_key, load_key, load_public_keys
from ._witnessed import WitnessedStore, WitnessFactory, file_witness, open_witnessed

__all__ = [
    "GENESIS",
    "Anchor",
    "ArchiveResult",
    "AuditError",
    "AuditRecord",
    "AuditStore",
    "Break",
    "Checkpoint",
    "FileWitness",
    "HeadCheck",
    "Link",
    "SignedHead",
    "SqliteAuditStore",
    "StoreWrapper",
    "Verification",
    "Witness",
    "WitnessFactory",
    "WitnessKey",
    "WitnessedStore",
    "canonical_json",
    "check_heads",
    "create_key",
    "export_jsonl",
    "file_witness",
    "first_break",
    "load_key",
    "load_public_keys",
    "open_witnessed",
    "record_hash",
    "utc_text",
    "verify_segment",
    "verify_segments",
]
