"""PostgreSQL (added by the postgres module): the audit trail, a readiness check and feature look-ups.

With ``<PREFIX>POSTGRES_URL`` set, the service keeps its audit trail in PostgreSQL (``audit verify|
export|archive`` too), ``/readyz`` includes the database and its schema revision, and every call is
counted under ``integration_calls_total{integration="postgres"}``. Unset, the module stays inactive
and says so in the log: the trail stays in the SQLite file.
"""

from __future__ import annotations

from .._meta import PACKAGE_NAME
from ..logs import get_logger
from ..postgres_audit import Database, PostgresSettings
from ..postgres_audit._settings import ENV
from . import Integration, IntegrationContext

NAME = "postgres"
log = get_logger(__name__)


async def _say_inactive() -> None:
    """Logged when the service starts (not when the CLI discovers integrations)."""
    log.warning("postgres_not_configured", hint=f"set {ENV}URL to keep the audit trail in PostgreSQL")


def integration(context: IntegrationContext) -> Integration:
    """The readiness check, the pool's shutdown and the audit store, when a database is configured."""
    settings = PostgresSettings()
    if not settings.configured:
        return Integration(NAME, startup=_say_inactive)
    database = Database(settings, package=PACKAGE_NAME, track=lambda: context.track(NAME))
    return Integration(
        NAME,
        check=database.health,
        shutdown=database.close,
        check_timeout_seconds=settings.connect_timeout_seconds + settings.statement_timeout_ms / 1000,
        audit_store=database.audit_store,
        audit_witness=database.witness if settings.witness_url is not None else None,
    )
