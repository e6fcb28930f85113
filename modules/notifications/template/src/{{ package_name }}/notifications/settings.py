"""Settings of the notifications module: ``<PREFIX>NOTIFICATIONS_*`` environment variables.

Lists are JSON (``<PREFIX>NOTIFICATIONS_MAIL_TO='["compliance@bank.example"]'``). A channel is on when it
is configured: email when ``SMTP_HOST`` and ``MAIL_TO`` are set, Slack or Teams when its webhook URL is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX, PROJECT_NAME
from ._events import EVENTS

PREFIX = f"{ENV_PREFIX}NOTIFICATIONS_"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _webhook(url: SecretStr | None, setting: str) -> SecretStr | None:
    if url is None:
        return None
    parts = urlsplit(url.get_secret_value())
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    msg = f"{PREFIX}{setting} must be an https:// URL (http:// only on loopback, for tests)"
    raise ValueError(msg)


class NotificationsSettings(BaseSettings):
    """Where alerts go, which events raise them, and how hard the sender tries."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    smtp_host: str | None = Field(default=None, description="SMTP server; email is off while unset.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for implicit TLS.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (upgrade after connecting), tls (implicit TLS) or none."
    )
    smtp_username: str | None = Field(default=None, description="SMTP user name (AUTH), none by default.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (environment only).")
    smtp_ca_file: Path | None = Field(default=None, description="CA bundle that signs the SMTP server's certificate.")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Timeout of one SMTP exchange.")
    mail_from: str = Field(default=f"{PROJECT_NAME}@localhost", min_length=3, description="Sender address.")
    mail_to: list[str] = Field(default_factory=list, description="Recipients (JSON list): the compliance officers.")
    slack_webhook_url: SecretStr | None = Field(default=None, description="Slack incoming webhook URL (secret).")
    teams_webhook_url: SecretStr | None = Field(default=None, description="Microsoft Teams webhook URL (secret).")
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60, description="Timeout of one webhook call.")
    events: list[str] = Field(default_factory=lambda: list(EVENTS), description="Events that raise an alert.")
    templates_dir: Path | None = Field(
        default=None, description="Folder of <event>.txt templates replacing the shipped ones (string.Template)."
    )
    rate_per_minute: float = Field(default=6.0, gt=0, description="Alerts per minute per channel (token bucket).")
    burst: int = Field(default=5, ge=1, description="Alerts a channel may send at once before the rate applies.")
    dedup_window_seconds: float = Field(
        default=900.0, ge=0, description="An event with the same key within this window is sent once."
    )
    queue_size: int = Field(default=1000, ge=1, description="Alerts waiting for the sender; more are dropped.")
    max_attempts: int = Field(default=4, ge=1, le=20, description="Attempts per channel on transient failures.")
    backoff_base_seconds: float = Field(default=1.0, gt=0, description="First back-off; doubles per attempt.")
    backoff_max_seconds: float = Field(default=30.0, gt=0, description="Longest back-off between two attempts.")
    shutdown_seconds: float = Field(default=5.0, ge=0, description="How long shutdown waits to send what is queued.")

    _slack = field_validator("slack_webhook_url")(lambda url: _webhook(url, "SLACK_WEBHOOK_URL"))
    _teams = field_validator("teams_webhook_url")(lambda url: _webhook(url, "TEAMS_WEBHOOK_URL"))

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = sorted(set(events) - set(EVENTS))
        if unknown:
            msg = f"{PREFIX}EVENTS names unknown events {unknown}; choose from {list(EVENTS)}"
            raise ValueError(msg)
        return events

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.smtp_host and not self.mail_to:
            msg = f"{PREFIX}SMTP_HOST is set but {PREFIX}MAIL_TO is empty: name the recipients (a JSON list)"
            raise ValueError(msg)
        if self.smtp_security == "none" and self.smtp_password is not None:
            msg = f"{PREFIX}SMTP_SECURITY=none would send the SMTP password in clear: use starttls or tls"
            raise ValueError(msg)
        if (self.smtp_username is None) != (self.smtp_password is None):
            msg = f"set both {PREFIX}SMTP_USERNAME and {PREFIX}SMTP_PASSWORD, or neither"
            raise ValueError(msg)
        if self.backoff_max_seconds < self.backoff_base_seconds:
            msg = f"{PREFIX}BACKOFF_MAX_SECONDS must be at least {PREFIX}BACKOFF_BASE_SECONDS"
            raise ValueError(msg)
        return self
