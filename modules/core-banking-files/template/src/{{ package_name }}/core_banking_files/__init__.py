"""Ingest monthly core-banking exports (added by the core-banking-files module).

Fixed-width records described by a copybook-like layout (``layout.py``: text, zoned and packed decimals)
or CSV, in legacy encodings (cp1252, latin-1, EBCDIC cp037/cp500/cp1140); each row validated, bad rows
quarantined with their reason and line number, the same file never counted twice, a crashed run resumed
from its last checkpoint, and a report. Run it with ``python -m <package>.core_banking_files ingest``.

Accepted records are in the ledger (``Ledger.records()``): key, row number and the fields by layout name,
whatever the use case. Nothing here reads the service's request schema.
"""

from __future__ import annotations

from ._ledger import FileEntry, Ledger, LedgerError
from .ingest import FORMATS, Ingest, IngestError, IngestMetrics, Report, default_format, file_digest
from .layout import Field, FieldError, Layout, LayoutError, load_layout, parse_layout
from .settings import ENCODINGS, CoreBankingFilesSettings

__all__ = [
    "ENCODINGS",
    "FORMATS",
    "CoreBankingFilesSettings",
    "Field",
    "FieldError",
    "FileEntry",
    "Ingest",
    "IngestError",
    "IngestMetrics",
    "Layout",
    "LayoutError",
    "Ledger",
    "LedgerError",
    "Report",
    "default_format",
    "file_digest",
    "load_layout",
    "parse_layout",
]
