"""The audit witness in PostgreSQL (optional): signed chain heads in a table the service may only append to.

With ``<PREFIX>POSTGRES_WITNESS_URL`` set, the service appends its signed chain heads (see the service's
``audit/_witness.py``) to ``audit_witness_heads`` in that database instead of the witness file, and
``audit verify`` reads them from there. It protects the trail only if the trail's writer cannot rewrite
that table: use another database (better, another server) whose owner is not the service, and connect
the service as a role that ``witness-setup`` granted ``INSERT`` and ``SELECT`` only. Triggers also refuse
``UPDATE``, ``DELETE`` and ``TRUNCATE`` to anyone but a superuser who disables them.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine, text

from ..audit import AuditError, SignedHead, canonical_json
from ._engine import DatabaseError, Track, make_engine, translated, untracked, where
from ._settings import ENV, PostgresSettings

TABLE = "audit_witness_heads"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # a plain identifier: safe to quote into DDL


def witness_settings(settings: PostgresSettings) -> PostgresSettings:
    """The settings of the witness database: its URL and schema in place of the trail's."""
    if settings.witness_url is None:
        raise DatabaseError(f"no audit witness database configured: set {ENV}WITNESS_URL")
    return settings.model_copy(update={"url": settings.witness_url, "search_path": settings.witness_search_path})


class PostgresWitness:
    """:class:`~..audit.Witness` on the ``audit_witness_heads`` table of the witness database."""

    def __init__(self, settings: PostgresSettings, *, package: str, track: Track = untracked) -> None:
        self._settings = witness_settings(settings)
        self._engine: Engine = make_engine(self._settings, pool_size=1)  # connects on first use
        self._package = package
        self._track = track
        self.where = f"table {TABLE} of {where(self._settings)}"

    def append(self, head: SignedHead) -> None:
        """Insert ``head``; committed with ``synchronous_commit = on`` before this returns."""
        insert = text(f"INSERT INTO {TABLE} (head) VALUES (:head)")  # noqa: S608 -- a constant table name
        appending = translated(f"appending to the audit witness, {self.where}{self._hint()}")
        with self._track(), appending, self._engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = on"))
            conn.execute(insert, {"head": canonical_json(head.to_json())})

    def heads(self) -> list[SignedHead]:
        """Every head in the order inserted."""
        select = text(f"SELECT position, head FROM {TABLE} ORDER BY position")  # noqa: S608 -- a constant table name
        reading = translated(f"reading the audit witness, {self.where}{self._hint()}")
        with self._track(), reading, self._engine.connect() as conn:
            rows = conn.execute(select).all()
        heads = []
        for position, head in rows:
            try:
                heads.append(SignedHead.from_json(json.loads(head)))
            except (ValueError, KeyError, TypeError) as exc:
                raise AuditError(f"{self.where}: row {position} is not a signed head ({exc})") from exc
        return heads

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    def _hint(self) -> str:
        return f" (set it up with `python -m {self._package}.postgres_audit witness-setup --writer ROLE`)"


def setup_witness(settings: PostgresSettings, writer: str) -> str:
    """Create the table, its triggers and ``writer``'s grants (run as the witness database's owner)."""
    owner = witness_settings(settings)
    schema = owner.search_path
    if not _NAME.match(writer):
        raise DatabaseError(f"{writer!r} is not a plain role name (lowercase letters, digits, underscores)")
    statements = [
        f'CREATE SCHEMA IF NOT EXISTS "{schema}"',
        f'CREATE TABLE IF NOT EXISTS "{schema}".{TABLE} (position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, '
        "head TEXT NOT NULL, written_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        f'CREATE OR REPLACE FUNCTION "{schema}".audit_witness_refuse() RETURNS trigger LANGUAGE plpgsql AS '
        "$$ BEGIN RAISE EXCEPTION 'audit witness heads are append-only'; END $$",
        f'DROP TRIGGER IF EXISTS audit_witness_no_change ON "{schema}".{TABLE}',
        f'CREATE TRIGGER audit_witness_no_change BEFORE UPDATE OR DELETE ON "{schema}".{TABLE} '
        f'FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_witness_refuse()',
        f'DROP TRIGGER IF EXISTS audit_witness_no_truncate ON "{schema}".{TABLE}',
        f'CREATE TRIGGER audit_witness_no_truncate BEFORE TRUNCATE ON "{schema}".{TABLE} '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".audit_witness_refuse()',
        f'REVOKE ALL ON "{schema}".{TABLE} FROM PUBLIC',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{writer}"',
        f'GRANT SELECT, INSERT ON "{schema}".{TABLE} TO "{writer}"',
    ]
    engine = make_engine(owner, pool_size=1)
    try:
        with translated(f"setting up the audit witness in {where(owner)}"), engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return f"{TABLE} in {where(owner)}: {writer} may INSERT and SELECT only; UPDATE, DELETE and TRUNCATE are refused"
