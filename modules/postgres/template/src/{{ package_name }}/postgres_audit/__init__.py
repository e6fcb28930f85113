"""PostgreSQL for the service (added by the postgres module): the audit trail, its migrations and feature look-ups.

- :class:`PostgresAuditStore` implements the service's ``AuditStore`` with the same hash chain and
  group commit as the SQLite store, serialised across processes by a lock on the chain-head row;
- ``python -m <package>.postgres_audit migrate`` applies the Alembic migrations (a deploy step);
- :class:`FeatureStore` looks up a customer's features with a statement timeout;
- :class:`PostgresWitness` keeps the signed chain heads in a table of another database, which the
  service may only append to (``python -m <package>.postgres_audit witness-setup --writer ROLE``).
"""

from ._database import Database
from ._engine import DatabaseError, database_url, make_engine, where
from ._features import FeatureLookupError, FeatureStore
from ._migrate import HEAD_REVISION, MIGRATIONS, head_revision, migrate, schema_revision
from ._settings import PostgresSettings
from ._store import PostgresAuditStore
from ._witness import PostgresWitness, setup_witness

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS",
    "Database",
    "DatabaseError",
    "FeatureLookupError",
    "FeatureStore",
    "PostgresAuditStore",
    "PostgresSettings",
    "PostgresWitness",
    "database_url",
    "head_revision",
    "make_engine",
    "migrate",
    "schema_revision",
    "setup_witness",
    "where",
]
