"""Settings of the core-banking-files module: ``<PREFIX>CORE_BANKING_FILES_*`` environment variables."""

from __future__ import annotations

import codecs
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX

PREFIX = f"{ENV_PREFIX}CORE_BANKING_FILES_"
ENCODINGS = ("cp037", "cp500", "cp1140", "cp1252", "latin-1", "ascii", "utf-8")


def check_encoding(name: str) -> str:
    """The codec's canonical name if it is one of :data:`ENCODINGS`."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        canonical = ""
    if canonical not in {codecs.lookup(e).name for e in ENCODINGS}:
        msg = f"encoding {name!r} is not supported; use one of {', '.join(ENCODINGS)}"
        raise ValueError(msg)
    return canonical


class CoreBankingFilesSettings(BaseSettings):
    """Where the ledger and quarantine files live, and how often an ingest commits."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    ledger_path: Path = Field(
        default=Path("var/core-banking/ledger.db"),
        description="SQLite file of ingested files (by digest), accepted records (by key) and checkpoints.",
    )
    quarantine_dir: Path = Field(
        default=Path("var/core-banking/quarantine"), description="Folder of the quarantine files (one per input)."
    )
    encoding: str = Field(default="cp1252", description="Default encoding of input files.")
    checkpoint_rows: int = Field(default=1000, ge=1, description="Rows per commit: a crash redoes at most these.")
    stale_after_hours: float = Field(
        default=24.0, gt=0, description="An ingest unfinished for this long is reported by /readyz (degraded)."
    )

    _encoding = field_validator("encoding")(check_encoding)
