"""What the integration holds: the readiness check, the audit store factory and the feature store."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, text

from ..audit import AuditStore, Witness
from ..settings import Settings
from ._engine import DatabaseError, Track, make_engine, translated, untracked, where
from ._features import FeatureStore
from ._migrate import HEAD_REVISION, current_revision
from ._settings import PostgresSettings
from ._store import PostgresAuditStore
from ._witness import PostgresWitness

MIGRATE_HINT = "run `python -m {package}.postgres_audit migrate`"


class Database:
    """One configured PostgreSQL: a small pool for checks and look-ups; the audit store opens its own."""

    def __init__(self, settings: PostgresSettings, *, package: str, track: Track = untracked) -> None:
        self.settings = settings
        self.package = package
        self._track = track
        self._engine: Engine | None = None
        self.head = HEAD_REVISION

    @property
    def engine(self) -> Engine:
        """The pool for checks and look-ups, made on first use (making it never connects)."""
        if self._engine is None:
            self._engine = make_engine(self.settings, pool_size=2)
        return self._engine

    def features(self) -> FeatureStore:
        """Customer feature look-ups with the configured timeout."""
        return FeatureStore(self.engine, timeout_ms=self.settings.feature_timeout_ms, track=self._track)

    def audit_store(self, settings: Settings) -> AuditStore:
        """The audit trail in this database (the service calls this at start-up; it does not connect)."""
        return PostgresAuditStore(
            make_engine(self.settings), checkpoint_interval=settings.audit_checkpoint_interval, track=self._track
        )

    def witness(self, settings: Settings) -> Witness:
        """The signed chain heads in the witness database (``WITNESS_URL``); it does not connect."""
        del settings  # the service's settings: the witness needs only this module's
        return PostgresWitness(self.settings, package=self.package, track=self._track)

    def check_schema(self) -> None:
        """Raise unless the database answers and its schema is at the revision this code needs."""
        with self._track(), translated(f"checking {where(self.settings)}"), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = current_revision(conn)
        if revision != self.head:
            found = "no migration applied" if revision is None else f"schema at revision {revision}"
            hint = MIGRATE_HINT.format(package=self.package)
            raise DatabaseError(f"{found}, this code needs {self.head}: {hint}")

    async def health(self) -> None:
        """The readiness check (in a worker thread: the event loop never waits on the database)."""
        await asyncio.to_thread(self.check_schema)

    async def close(self) -> None:
        """Close the pool (shutdown hook)."""
        if self._engine is not None:
            self._engine.dispose()
