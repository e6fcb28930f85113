"""The model inventory (``models/inventory.json``): one entry per model version, with its approval record.

A model version serves only if the inventory holds an approval whose SHA-256 is the loaded artifact's and
the version is not retired (:func:`require_approval`). :func:`approve` records an approval for the current
artifact after checking the evidence: the fairness gate passed and the model card describes this artifact.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._meta import OWNER, PROJECT_NAME
from ..model import ScoringModel, load_model
from .card import INTENDED_USE, RISK_BASIS, RISK_TIER
from .errors import GovernanceError, UnapprovedModelError
from .files import CARD_JSON, read_json_object, write_json

INVENTORY = "inventory.json"
DEFAULT_INVENTORY_PATH = Path("models") / INVENTORY
SHA256_PATTERN = r"^[0-9a-f]{64}$"

RiskTier = Literal["high", "medium", "low"]
LifecycleState = Literal["development", "validation", "production", "retired"]
ValidationStatus = Literal["not_validated", "passed", "failed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approval(_Strict):
    """Who approved which artifact, and when."""

    approver: str = Field(min_length=1, max_length=200)
    date: dt.date
    sha256: str = Field(pattern=SHA256_PATTERN)
    note: str = ""


class InventoryEntry(_Strict):
    """One model version in the inventory."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sha256: str = Field(pattern=SHA256_PATTERN)
    owner: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    risk_tier: RiskTier
    risk_basis: str
    lifecycle_state: LifecycleState
    validation_status: ValidationStatus
    approvals: list[Approval] = []


class Inventory(_Strict):
    """The whole inventory file."""

    schema_version: Literal[1] = 1
    models: list[InventoryEntry] = []

    def entry_for(self, model: ScoringModel) -> InventoryEntry | None:
        """The entry of exactly this artifact (name, version and SHA-256 all match), if any."""
        return next(
            (e for e in self.models if (e.name, e.version, e.sha256) == (model.name, model.version, model.sha256)),
            None,
        )


def load_inventory(path: Path = DEFAULT_INVENTORY_PATH) -> Inventory:
    """Read and validate the inventory; a missing file is an empty inventory."""
    if not path.exists():
        return Inventory()
    try:
        return Inventory.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise GovernanceError(f"cannot read the model inventory {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "(top level)"
        raise GovernanceError(f"the model inventory {path} is invalid at {where}: {first['msg']}") from exc


def save_inventory(inventory: Inventory, path: Path = DEFAULT_INVENTORY_PATH) -> None:
    """Write the inventory as sorted, indented JSON (reviewable diffs)."""
    write_json(inventory.model_dump(mode="json"), path)


def require_approval(model: ScoringModel, path: Path = DEFAULT_INVENTORY_PATH) -> Approval:
    """The approval that lets ``model`` serve; :class:`UnapprovedModelError` (with the fix) if there is none."""
    hint = f"record one with `{PROJECT_NAME} model approve --approver NAME` after review (inventory: {path})"
    try:
        entry = load_inventory(path).entry_for(model)
    except GovernanceError as exc:
        raise UnapprovedModelError(f"{exc}; no model serves until it is fixed") from exc
    identity = f"{model.name} {model.version} (sha256 {model.sha256[:12]}…)"
    if entry is None:
        raise UnapprovedModelError(f"{identity} is not in the model inventory and has no approval record; {hint}")
    if entry.lifecycle_state == "retired":
        raise UnapprovedModelError(f"{identity} is retired in the model inventory; deploy an approved version")
    approval = next((a for a in reversed(entry.approvals) if a.sha256 == model.sha256), None)
    if approval is None:
        raise UnapprovedModelError(f"{identity} has no approval record; {hint}")
    return approval


def approve(
    model_path: Path,
    approver: str,
    *,
    inventory_path: Path = DEFAULT_INVENTORY_PATH,
    date: dt.date | None = None,
    note: str = "",
) -> Approval:
    """Record ``approver``'s approval of the artifact at ``model_path`` and put it in production.

    Refused when the approver is the owning team (approval must be independent of development), when the
    model card in the same directory describes another artifact, or when its fairness gate failed.
    """
    approver = approver.strip()
    if not approver:
        raise GovernanceError("the approver's name is empty; pass --approver NAME")
    if approver.casefold() == OWNER.casefold():
        msg = f"{approver!r} owns the model; approval must come from someone independent of its development"
        raise GovernanceError(msg)
    model = load_model(model_path)
    card = read_json_object(model_path.parent / CARD_JSON, "model card")
    _check_evidence(model, card)
    approval = Approval(approver=approver, date=date or dt.datetime.now(dt.UTC).date(), sha256=model.sha256, note=note)
    inventory = load_inventory(inventory_path)
    current = inventory.entry_for(model)
    entry = current or new_entry(model)
    updated = entry.model_copy(
        update={
            "lifecycle_state": "production",
            "validation_status": "passed",
            "approvals": [*entry.approvals, approval],
        }
    )
    models = [updated if e is current else e for e in inventory.models] if current else [*inventory.models, updated]
    save_inventory(inventory.model_copy(update={"models": models}), inventory_path)
    return approval


def _check_evidence(model: ScoringModel, card: dict[str, Any]) -> None:
    described = card.get("model")
    if not isinstance(described, dict) or described.get("sha256") != model.sha256:
        raise GovernanceError(
            "the model card describes another artifact; re-run `train` (or `model import`) before approving"
        )
    fairness = card.get("fairness")
    if not isinstance(fairness, dict) or fairness.get("passed") is not True:
        raise GovernanceError("the model failed its fairness gate (see the model card); it cannot be approved")


def new_entry(model: ScoringModel) -> InventoryEntry:
    """A model's first inventory entry: in validation, not validated, no approval."""
    return InventoryEntry(
        name=model.name,
        version=model.version,
        sha256=model.sha256,
        owner=OWNER,
        purpose=INTENDED_USE["purpose"],
        risk_tier=RISK_TIER,
        risk_basis=RISK_BASIS,
        lifecycle_state="validation",
        validation_status="not_validated",
    )
