"""Settings from the environment (prefix ``<PACKAGE>_``, e.g. ``LOAN_SCORING_PORT``) or a ``.env`` file.

Relative paths (``var/``, ``models/``, ``governance/``...) are resolved against one folder, ``home``
(``<PACKAGE>_HOME``), never against the working directory: a command run from any folder reads and
writes the same files as the server. ``home`` defaults to the project folder when the package runs from
it (an editable install, ``make install``), else to the working directory (an installed wheel, e.g. the
container image's ``/app``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ._meta import DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT, DEFAULT_REGION, ENV_PREFIX, PROJECT_NAME
from .contract import CONTRACT

_BELOW, _ABOVE = CONTRACT.thresholds


def project_home() -> Path:
    """The project folder when the package runs from its source tree (``src/<package>``), else the working
    directory."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if Path(__file__).resolve().parent.parent.name == "src" and pyproject.is_file():
        try:
            if f'name = "{PROJECT_NAME}"' in pyproject.read_text(encoding="utf-8"):
                return root
        except OSError:
            pass
    return Path.cwd()


class Settings(BaseSettings):
    """Run-time configuration of the service; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=project_home() / ".env", extra="ignore", frozen=True, validate_default=True
    )

    home: Path = Field(
        default_factory=project_home,
        description="The folder relative paths below resolve against (default: the project folder, when the "
        "package runs from it, else the working directory).",
    )

    host: str = Field(default="127.0.0.1", description="Interface to listen on (0.0.0.0 in a container).")
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535, description="TCP port to listen on.")
    model_path: Path = Field(
        default=Path("models/credit-risk.skops"),
        description="The skops model artifact; its metadata JSON sits beside it with the same stem.",
    )
    inventory_path: Path | None = Field(
        default=None,
        description="The model inventory; a model serves only with an approval record there (default: "
        "inventory.json beside the model).",
    )
    max_request_bytes: int = Field(
        default=DEFAULT_MAX_REQUEST_BYTES, ge=1024, description="Largest request body accepted (413 above)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    approve_below: float = Field(
        default=_BELOW, gt=0, lt=1, description="Below this score the low decision is taken (default: usecase.toml)."
    )
    decline_above: float = Field(
        default=_ABOVE, gt=0, lt=1, description="Above this score the high decision is taken (default: usecase.toml)."
    )
    policy_version: str = Field(
        default="thresholds-1", min_length=1, description="Version of the decision policy, recorded on each decision."
    )
    drift_window: int = Field(default=1000, ge=10, description="Recent requests compared with the training data.")
    drift_min_samples: int = Field(default=200, ge=1, description="Requests needed before drift is reported.")
    drift_update_every: int = Field(default=25, ge=1, description="Refresh the drift gauges every this many requests.")
    drift_psi_threshold: float = Field(
        default=0.2, gt=0, description="PSI above which a feature's drift is logged (alert rules use 0.2 and 0.25)."
    )
    audit_enabled: bool = Field(default=True, description="Write every decision to the tamper-evident audit trail.")
    audit_path: Path = Field(default=Path("var/audit.db"), description="The SQLite audit trail (folder is created).")
    audit_archive_dir: Path = Field(
        default=Path("var/audit-archive"), description="Where `audit archive` writes segment files."
    )
    audit_retention_years: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="How long audit records are kept (default: the longest among the selected regimes; never shorter).",
    )
    regimes_path: Path = Field(
        default=Path("governance/regimes.toml"),
        description="The regulatory regimes this service answers to: they set retention and data residency.",
    )
    region: str = Field(
        default=DEFAULT_REGION,
        pattern=r"^[a-z][a-z0-9-]{1,62}$",
        description="Where the service and its local stores run (cloud region, or <country>-<site> for a data centre).",
    )
    data_residency: str | None = Field(
        default=None,
        description="Jurisdiction every store must be in (default: the one the selected regimes require).",
    )
    store_regions: dict[str, str] = Field(
        default_factory=dict,
        description='Where stores run when not in `region`, as JSON: {"postgres": "ap-south-2"} (checked at start-up).',
    )
    audit_checkpoint_interval: int = Field(default=1000, ge=1, description="A checkpoint every this many records.")
    audit_witness_enabled: bool = Field(
        default=True, description="Sign the chain head into a witness outside the trail (what catches truncation)."
    )
    audit_witness_path: Path = Field(
        default=Path("var/witness/audit-heads.jsonl"),
        description="The append-only file of signed chain heads (put it on another volume, `chattr +a`).",
    )
    audit_witness_key_path: Path = Field(
        default=Path("var/witness-key/audit-witness.key"),
        description="The Ed25519 key signing the heads (created on first start; keep it apart from the trail).",
    )
    audit_witness_public_keys_path: Path | None = Field(
        default=None,
        description="Public keys trusted to sign heads, one a line (default: the key path with .pub).",
    )
    audit_witness_every_records: int = Field(
        default=100, ge=1, description="Witness the chain head at least every this many records..."
    )
    audit_witness_every_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="...and every this many seconds while records arrive."
    )
    audit_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Longest wait for a durable audit write before the decision is referred."
    )
    subject_keys_path: Path = Field(
        default=Path("var/subject-keys.db"),
        description="Per-subject keys sealing personal data in the audit trail (SQLite; kept apart from the "
        "trail on purpose: `subjects erase` deletes a key, which shreds that subject's data).",
    )
    api_keys_path: Path = Field(
        default=Path("var/api-keys.json"),
        description="API keys with roles, stored hashed (`keys create`), re-read when changed; no file: 401 for all.",
    )
    review_path: Path = Field(
        default=Path("var/reviews.db"), description="The human review queue (SQLite; survives restarts)."
    )
    disclosure_text: str = Field(
        default="This decision was made with the help of an automated credit-risk model. You may ask for it to be "
        "reviewed by a person: quote the decision id to your branch or the lender's grievance officer.",
        min_length=1,
        description="Told to every applicant with the decision (`disclosure` in the score response).",
    )
    explanations_enabled: bool = Field(default=True, description="Return and record reason codes with each decision.")
    explanation_reasons: int = Field(default=4, ge=1, le=9, description="How many reason codes a decision carries.")
    kill_switch_path: Path = Field(
        default=Path("var/kill-switch.json"),
        description="The kill switch state shared by every worker (`kill-switch on|off`, `PUT /v1/admin/kill-switch`).",
    )
    kill_switch_mode: Literal["review", "fallback_rules"] = Field(
        default="review", description="While the kill switch is engaged: refer every case, or use the fallback rules."
    )
    fallback_approve_max_dti: float = Field(
        default=0.3, gt=0, le=1, description="Fallback rules approve at or below this debt-to-income ratio."
    )
    fallback_decline_min_dti: float = Field(
        default=0.6, gt=0, description="Fallback rules decline above this debt-to-income ratio."
    )
    incident_path: Path = Field(default=Path("var/incidents.db"), description="The incident register (SQLite).")
    challenger_model_path: Path | None = Field(
        default=None, description="A challenger artifact (verified and approved like the champion) for rollout."
    )
    rollout_mode: Literal["off", "shadow", "split"] = Field(
        default="off", description="shadow: the challenger scores every case, recorded only; split: it decides a share."
    )
    challenger_percent: float = Field(
        default=0.0, ge=0, le=100, description="Split mode: the % of applicants (sticky by id) the challenger decides."
    )

    @field_validator("*", mode="after")
    @classmethod
    def _under_home(cls, value: object, info: ValidationInfo) -> object:
        """A relative path is relative to ``home`` (validated first), whatever the working directory."""
        if not isinstance(value, Path) or value.is_absolute():
            return value
        home = info.data.get("home") if info.field_name != "home" else None
        return (Path(home) if home is not None else Path.cwd()) / value

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.approve_below >= self.decline_above:
            msg = "approve_below must be lower than decline_above (between them applicants are referred)"
            raise ValueError(msg)
        return self
