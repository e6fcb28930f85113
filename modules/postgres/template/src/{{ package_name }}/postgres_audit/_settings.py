"""Settings of the postgres module: ``<PREFIX>POSTGRES_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX

ENV = f"{ENV_PREFIX}POSTGRES_"


class PostgresSettings(BaseSettings):
    """Where the database is, which schema holds the trail, and how long anything may take."""

    model_config = SettingsConfigDict(env_prefix=ENV, extra="ignore")

    url: SecretStr | None = Field(
        default=None,
        description="postgresql+psycopg://USER:PASSWORD@HOST:5432/DB (a secret: environment only). "
        "Unset: the module stays inactive and the audit trail stays on SQLite.",
    )
    search_path: str = Field(
        default="public", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Schema holding the audit tables."
    )
    pool_size: int = Field(default=5, ge=1, le=100, description="Connections kept open per process.")
    max_overflow: int = Field(default=5, ge=0, le=100, description="Extra connections allowed under load.")
    pool_timeout_seconds: float = Field(default=2.0, gt=0, description="Longest wait for a free connection.")
    connect_timeout_seconds: int = Field(default=3, ge=2, le=60, description="Longest wait to connect.")
    statement_timeout_ms: int = Field(default=5000, ge=1, description="Longest any one statement may run.")
    network_timeout_ms: int = Field(
        default=10000, ge=1, description="Unacknowledged data older than this drops the connection (tcp_user_timeout)."
    )
    feature_timeout_ms: int = Field(default=250, ge=1, description="Longest a feature lookup may run.")
    witness_url: SecretStr | None = Field(
        default=None,
        description="Another database for the signed chain heads (a role with INSERT and SELECT only, see "
        "`witness-setup`); unset: the service's witness file.",
    )
    witness_search_path: str = Field(
        default="public", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Schema of the witness table."
    )

    @property
    def configured(self) -> bool:
        """Whether a database URL is set (otherwise the module is inactive)."""
        return self.url is not None
