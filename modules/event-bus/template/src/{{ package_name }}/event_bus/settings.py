"""Settings of the event bus, from ``<PREFIX>EVENT_BUS_*`` environment variables (secrets only from there).

A relative ``processed_keys_path`` is relative to the service's home (``<PREFIX>HOME``, see the service's
``settings``), as the service's own ``var/`` files are, never to the working directory.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX
from ..settings import project_home
from ._backend import DEFAULT_URL

_NAME = r"^[A-Za-z0-9._-]{1,200}$"  # a queue, subject or topic name every backend accepts


class EventBusSettings(BaseSettings):
    """Where the broker is, what to consume and publish, and the delivery limits."""

    model_config = SettingsConfigDict(
        env_prefix=f"{ENV_PREFIX}EVENT_BUS_", env_file=project_home() / ".env", extra="ignore"
    )

    url: str = Field(default=DEFAULT_URL, min_length=1, description="Broker address.")
    username: str | None = Field(default=None, description="User name for the broker.")
    password: SecretStr | None = Field(default=None, description="Password for the broker (environment only).")
    consume: bool = Field(default=True, description="Consume transactions in this process.")
    input: str = Field(default="transactions", pattern=_NAME, description="Where transactions arrive.")
    output: str = Field(default="decisions", pattern=_NAME, description="Where decisions are published.")
    dead_letter: str = Field(
        default="transactions.dead-letter", pattern=_NAME, description="Where poison and failed messages go."
    )
    consumer_group: str = Field(
        default="scoring", pattern=_NAME, description="NATS durable consumer name / Kafka consumer group."
    )
    stream: str = Field(
        default="SCORING",
        pattern=r"^[A-Za-z0-9_-]{1,200}$",
        description="NATS only: the JetStream stream holding the input, output and dead-letter subjects.",
    )
    max_in_flight: int = Field(default=16, ge=1, le=10_000, description="Unacknowledged messages at most.")
    max_attempts: int = Field(default=5, ge=1, le=100, description="Attempts before the dead letter.")
    retry_delay_seconds: float = Field(default=1.0, ge=0, le=3600, description="Wait before another attempt.")
    ack_wait_seconds: float = Field(
        default=30.0, ge=1, le=3600, description="NATS only: redeliver a message not acknowledged within this."
    )
    timeout_seconds: float = Field(default=5.0, gt=0, le=300, description="Timeout of each broker call.")
    reconnect_seconds: float = Field(default=5.0, gt=0, le=3600, description="Wait between connection attempts.")
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=3600, description="Wait for in-flight messages.")
    processed_keys_path: Path = Field(
        default=Path("var/event-bus-keys.db"),
        description="SQLite file of the idempotency keys already scored (a relative path: under the service's home).",
    )
    keys_retention_days: int = Field(default=30, ge=1, le=3650, description="How long a scored key is remembered.")
    caller: str = Field(
        default="event-bus", pattern=r"^[A-Za-z0-9._:@-]{1,128}$", description="Recorded as the decision's caller."
    )
