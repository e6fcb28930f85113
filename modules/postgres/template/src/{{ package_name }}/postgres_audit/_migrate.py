"""Schema migrations with Alembic, run by ``python -m <package>.postgres_audit migrate`` (a deploy step).

Each run holds a transaction-scoped advisory lock, so replicas started together migrate one at a time;
PostgreSQL runs DDL in the transaction, so a failed migration leaves the schema as it was.
Alembic is imported only by these commands: the service itself never loads it (its readiness check
compares the schema with :data:`HEAD_REVISION`, which a test keeps equal to the newest migration).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from ._engine import DatabaseError, make_engine, translated, where
from ._settings import PostgresSettings

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0001"  # the newest file in migrations/versions: bump it with every new migration
MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in ``migrations/versions`` (read by Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise DatabaseError(f"no migrations found in {MIGRATIONS}")
    return head


def migrate(settings: PostgresSettings, revision: str = "head") -> str | None:
    """Create the schema if needed and upgrade it to ``revision``; returns the revision reached."""
    from alembic import command

    engine = make_engine(settings, pool_size=1)
    try:
        with translated(f"migrating {where(settings)}"), engine.connect() as conn, conn.begin():
            conn.execute(text("SET LOCAL statement_timeout = '10min'"))  # DDL may wait for locks
            conn.execute(_LOCK, {"key": f"audit-trail-migrations:{settings.search_path}"})
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.search_path}"'))
            command.upgrade(_config(conn), revision)
            return current_revision(conn)
    finally:
        engine.dispose()


def current_revision(conn: Connection) -> str | None:
    """The revision the schema is at, or None when no migration ever ran there."""
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    revision: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return revision


def schema_revision(settings: PostgresSettings) -> str | None:
    """:func:`current_revision` over a connection of its own."""
    engine = make_engine(settings, pool_size=1)
    try:
        with translated(f"reading the schema revision of {where(settings)}"), engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()
