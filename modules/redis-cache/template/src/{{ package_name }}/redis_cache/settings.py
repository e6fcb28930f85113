"""Settings of the redis-cache module: ``<PREFIX>REDIS_CACHE_*`` and ``<PREFIX>REDIS_CACHE_SANCTIONS_*``."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX, PROJECT_NAME

PREFIX = f"{ENV_PREFIX}REDIS_CACHE_"


def _no_password_in(url: str, setting: str) -> str:
    if urlsplit(url).password is not None:
        msg = f"put the password in {setting}, not in the URL (URLs end up in logs and error messages)"
        raise ValueError(msg)
    return url


class RedisCacheSettings(BaseSettings):
    """Where Redis is, how long to wait for it, and how the cache protects the expensive calls."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    url: str = Field(default="redis://127.0.0.1:6379/0", description="redis:// or rediss:// URL, no password.")
    password: SecretStr | None = Field(default=None, description="Redis password (environment only).")
    username: str | None = Field(default=None, description="Redis ACL user name.")
    key_prefix: str = Field(default=f"{PROJECT_NAME}:cache:", min_length=1, description="Prefix of every key.")
    key_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for cache keys (environment only). Keys are SHA-256 digests of the lookup; with a "
        "secret, someone who reads Redis cannot confirm a guessed name by hashing it.",
    )
    socket_timeout_seconds: float = Field(default=0.1, gt=0, le=10, description="Timeout of one Redis command.")
    connect_timeout_seconds: float = Field(default=0.1, gt=0, le=10, description="Timeout of a TCP connect.")
    max_connections: int = Field(default=64, ge=1, description="Connections in the pool.")
    lock_ttl_seconds: float = Field(
        default=10.0, gt=0, description="A computing caller's lock expires after this (it crashed, say)."
    )
    lock_wait_seconds: float = Field(
        default=5.0, gt=0, description="How long other callers wait for it before they call directly."
    )
    poll_seconds: float = Field(default=0.005, gt=0, le=1, description="First poll interval of a waiting caller.")
    breaker_failures: int = Field(default=3, ge=1, description="Consecutive Redis failures that open the circuit.")
    breaker_cooldown_seconds: float = Field(
        default=5.0, gt=0, description="How long an open circuit bypasses Redis before one trial call."
    )
    currency: str = Field(
        default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the costs (label of the saved-cost metric)."
    )

    _url = field_validator("url")(lambda url: _no_password_in(url, f"{PREFIX}PASSWORD"))


class SanctionsSettings(BaseSettings):
    """The sanctions screening API of the example wrapper (``sanctions.py``)."""

    model_config = SettingsConfigDict(env_prefix=f"{PREFIX}SANCTIONS_", extra="ignore", frozen=True)

    url: str = Field(default="http://127.0.0.1:8091", description="Base URL of the screening API.")
    api_key: SecretStr | None = Field(default=None, description="Bearer token (environment only).")
    timeout_seconds: float = Field(default=2.0, gt=0, le=60, description="Timeout of one screening call.")
    cost_per_call: float = Field(default=0.0, ge=0, description="What one screening call costs, in the currency.")
    ttl_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How long a screening result is reused: no longer than your policy allows between list updates.",
    )

    _url = field_validator("url")(lambda url: _no_password_in(url, f"{PREFIX}SANCTIONS_API_KEY"))
