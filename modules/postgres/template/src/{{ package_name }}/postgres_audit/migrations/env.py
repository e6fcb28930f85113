"""Alembic environment: runs on the connection ``_migrate.migrate`` opened (schema, lock and timeouts set)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    msg = "run migrations with `python -m <package>.postgres_audit migrate`, not the alembic command"
    raise TypeError(msg)
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
