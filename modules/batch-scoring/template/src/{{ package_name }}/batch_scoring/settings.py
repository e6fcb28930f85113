"""Settings of batch scoring (``<PREFIX>BATCH_SCORING_*``); model, policy and audit trail are the service's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX


class BatchScoringSettings(BaseSettings):
    """How the Spark job runs; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(
        env_prefix=f"{ENV_PREFIX}BATCH_SCORING_", env_file=".env", extra="ignore", frozen=True
    )

    master: str = Field(
        default="local[2]",
        min_length=1,
        description="Spark master: local[N] on one machine; spark://host:7077, yarn or k8s://... on a cluster.",
    )
    driver_memory: str = Field(default="2g", pattern=r"^[1-9][0-9]*[kmgt]$", description="JVM heap of the driver.")
    shuffle_partitions: int = Field(default=8, ge=1, description="Partitions of the sort ordering the audit.")
    arrow_batch_rows: int = Field(default=10_000, ge=100, description="Rows handed to the scorer in one batch.")
    audit_batch_rows: int = Field(
        default=5_000, ge=1, description="Audit records submitted before waiting for all of them to be committed."
    )
    caller: str = Field(
        default="batch-scoring", min_length=1, description="Recorded as the caller of every batch decision."
    )
