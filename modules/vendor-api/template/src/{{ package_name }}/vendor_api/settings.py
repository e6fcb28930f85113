"""Settings of the vendor-api module: ``<PREFIX>VENDOR_API_*`` environment variables."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX
from ._vendor import DEFAULT_BASE_URL
from ._windows import MaintenanceWindow, parse_window, zone

PREFIX = f"{ENV_PREFIX}VENDOR_API_"


class VendorApiSettings(BaseSettings):
    """Where the vendor is, how long to wait for it, when it is known to be down and what it may cost."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    url: str = Field(default=DEFAULT_BASE_URL, description="Base URL of the vendor API, without credentials.")
    api_key: SecretStr | None = Field(default=None, description="Bearer token (environment only).")
    connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60, description="Timeout of a TCP/TLS connect.")
    read_timeout_seconds: float = Field(default=5.0, gt=0, le=300, description="Timeout waiting for the answer.")
    deadline_seconds: float = Field(
        default=10.0, gt=0, le=600, description="No retry starts once a call has taken this long (all attempts)."
    )
    max_attempts: int = Field(default=3, ge=1, le=10, description="Attempts of a retryable call (1: no retries).")
    backoff_base_seconds: float = Field(default=0.1, ge=0, le=60, description="First back-off (doubles per retry).")
    backoff_max_seconds: float = Field(default=2.0, ge=0, le=300, description="Longest back-off (and Retry-After).")
    breaker_failures: int = Field(default=5, ge=1, description="Consecutive failed attempts that open the circuit.")
    breaker_cooldown_seconds: float = Field(
        default=30.0, gt=0, description="How long an open circuit skips the vendor before one trial call."
    )
    max_concurrent: int = Field(default=10, ge=1, le=1000, description="Bulkhead: calls in flight at once.")
    bulkhead_wait_seconds: float = Field(
        default=0.0, ge=0, le=60, description="How long a call waits for a free slot before it is refused."
    )
    maintenance_windows: tuple[MaintenanceWindow, ...] = Field(
        default=(),
        description='Known downtimes, a JSON list: ["Tue 02:00-04:00", "Mon-Fri 23:30-00:15 Europe/Paris", '
        '"cron 0 1 1 * * 90m"]; during one, calls skip the vendor and use the fallback.',
    )
    maintenance_timezone: str = Field(default="UTC", description="IANA time zone of windows that name none.")
    cost_per_call: float = Field(default=0.0, ge=0, description="What one request sent to the vendor costs.")
    budget: float | None = Field(default=None, ge=0, description="Spend allowed per budget period (none: no cap).")
    budget_period: Literal["day", "month"] = Field(default="month", description="When the spend starts again.")
    budget_timezone: str = Field(default="UTC", description="IANA time zone in which budget periods start.")
    on_budget_exhausted: Literal["refuse", "fallback"] = Field(
        default="fallback", description="Past the budget: use the caller's fallback, or refuse the call."
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the costs.")
    health_path: str = Field(
        default="",
        description="Path /readyz GETs at the vendor (e.g. /health); empty: readiness reports the circuit, windows "
        "and budget without calling (a paid or rate-limited vendor).",
    )

    @field_validator("url")
    @classmethod
    def _plain_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            msg = "give an http:// or https:// URL"
            raise ValueError(msg)
        if parts.username or parts.password:
            msg = f"put the credential in {PREFIX}API_KEY, not in the URL (URLs end up in logs)"
            raise ValueError(msg)
        return url

    @field_validator("maintenance_windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            return tuple(parse_window(item) if isinstance(item, str) else item for item in value)
        return value

    @field_validator("maintenance_timezone", "budget_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone(name)
        return name
