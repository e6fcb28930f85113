"""Roll back to the previously approved model version, in one command (``model rollback``).

``model approve`` keeps a copy of each approved artifact, with its metadata, drift baseline, fairness
report and model card, in ``models/archive/<sha256[:12]>/``. :func:`rollback` finds, in the inventory, the
most recently approved version other than the one in ``models/`` whose archived copy exists, still has
its approval and is not retired, and copies it back into ``models/`` (after archiving the current one,
so rolling forward is a rollback too). The service serves it from its next start (a rolling restart);
the CLI writes an audit record ``rollback``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..model import ModelLoadError, load_model
from .errors import GovernanceError
from .files import CARD_JSON, CARD_MARKDOWN, FAIRNESS_REPORT
from .inventory import Inventory, load_inventory, require_approval

ARCHIVE = "archive"
_COMPANIONS = (".json",)  # beside the artifact, same stem
_SHARED = ("drift-baseline.json", CARD_JSON, CARD_MARKDOWN, FAIRNESS_REPORT)


@dataclass(frozen=True)
class RolledBack:
    """What ``models/`` held before, and what it holds now (name, version, SHA-256 of each)."""

    previous: dict[str, str]
    current: dict[str, str]


def _files(model_path: Path) -> list[Path]:
    files = [model_path, *(model_path.with_suffix(s) for s in _COMPANIONS)]
    return files + [model_path.with_name(name) for name in _SHARED]


def archive_artifact(model_path: Path) -> Path:
    """Copy the artifact and its governance files into ``archive/<sha256[:12]>/`` beside it; return that folder."""
    model = load_model(model_path)
    folder = model_path.parent / ARCHIVE / model.sha256[:12]
    folder.mkdir(parents=True, exist_ok=True)
    for file in _files(model_path):
        if file.exists():
            shutil.copy2(file, folder / file.name)
    return folder


def _identity(name: str, version: str, sha256: str) -> dict[str, str]:
    return {"name": name, "version": version, "sha256": sha256}


def _candidates(inventory: Inventory, current_sha: str) -> list[str]:
    """SHA-256s of approved, not retired versions other than the current one, most recently approved first."""
    approved = [
        (max(a.date for a in e.approvals), index, e.sha256)
        for index, e in enumerate(inventory.models)
        if e.approvals and e.lifecycle_state != "retired" and e.sha256 != current_sha
    ]
    return [sha for _, _, sha in sorted(approved, reverse=True)]


def rollback(model_path: Path, inventory_path: Path) -> RolledBack:
    """Put the previously approved version back in place of ``model_path``; :class:`GovernanceError` if none."""
    current = load_model(model_path)
    for sha in _candidates(load_inventory(inventory_path), current.sha256):
        archived = model_path.parent / ARCHIVE / sha[:12] / model_path.name
        try:
            previous = load_model(archived)
            require_approval(previous, inventory_path)
        except (ModelLoadError, GovernanceError):
            continue  # not archived here, altered, or no longer approved: try the one before
        archive_artifact(model_path)
        for file in _files(archived):
            if file.exists():
                shutil.copy2(file, model_path.parent / file.name)
        return RolledBack(
            _identity(current.name, current.version, current.sha256),
            _identity(previous.name, previous.version, previous.sha256),
        )
    msg = (
        f"no previously approved version of {model_path.name} is archived in {model_path.parent / ARCHIVE} "
        "(`model approve` archives each approved artifact); nothing was changed"
    )
    raise GovernanceError(msg)
