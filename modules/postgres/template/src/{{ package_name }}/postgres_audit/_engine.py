"""The SQLAlchemy engine: psycopg 3, a bounded pool, and a timeout on connecting, every statement and the network."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..audit import AuditError
from ._settings import ENV, PostgresSettings

Track = Callable[[], AbstractContextManager[object]]  # counts and times one call (IntegrationContext.track)
DRIVER = "postgresql+psycopg"


class DatabaseError(AuditError):
    """PostgreSQL could not be reached or refused a statement; the message says where and why."""


def untracked() -> AbstractContextManager[object]:
    """A :data:`Track` that records nothing (scripts and tests)."""
    return nullcontext()


def database_url(settings: PostgresSettings) -> URL:
    """The configured URL with the psycopg 3 driver; a clear error when it is missing or malformed."""
    if settings.url is None:
        raise DatabaseError(f"no database configured: set {ENV}URL (postgresql+psycopg://USER:PASSWORD@HOST:5432/DB)")
    try:
        url = make_url(settings.url.get_secret_value())
    except ArgumentError:
        raise DatabaseError(f"{ENV}URL is not a database URL such as postgresql://USER@HOST:5432/DB") from None
    if url.get_backend_name() != "postgresql":
        raise DatabaseError(f"{ENV}URL names {url.get_backend_name()!r}; this module needs postgresql")
    return url.set(drivername=DRIVER)


def where(settings: PostgresSettings) -> str:
    """The database and schema, without the password (for messages and logs)."""
    url = database_url(settings)
    return f"{url.render_as_string(hide_password=True)} (schema {settings.search_path})"


def make_engine(settings: PostgresSettings, *, pool_size: int | None = None) -> Engine:
    """A pooled engine whose sessions use the configured schema and timeouts."""
    options = f"-c search_path={settings.search_path} -c statement_timeout={settings.statement_timeout_ms}"
    return create_engine(
        database_url(settings),
        pool_size=pool_size or settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        pool_pre_ping=True,  # a connection the server dropped is replaced, not handed out
        pool_recycle=1800,
        connect_args={
            "connect_timeout": settings.connect_timeout_seconds,
            "options": options,
            "tcp_user_timeout": settings.network_timeout_ms,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "application_name": f"audit-trail/{settings.search_path}"[:63],  # finds this service in pg_stat_activity
        },
    )


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn a SQLAlchemy error into a :class:`DatabaseError` saying what was being done."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"{what} failed: {type(exc).__name__}: {reason}") from exc
