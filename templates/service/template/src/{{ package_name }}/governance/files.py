"""Where the governance records sit beside the artifact, and how they are read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..model.artifact import metadata_path
from .errors import GovernanceError

CARD_JSON = "model-card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
FAIRNESS_REPORT = "fairness-report.json"


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`GovernanceError` naming ``what`` if it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GovernanceError(f"cannot read the {what} {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise GovernanceError(f"the {what} {path} is not a JSON object")
    return data


def read_metadata(model_path: Path) -> dict[str, Any]:
    """The metadata JSON beside the artifact (same stem, ``.json``)."""
    return read_json_object(metadata_path(model_path), "model metadata")


def write_json(data: Any, path: Path) -> None:
    """Sorted, indented JSON with a final newline: the same data always gives the same bytes."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
