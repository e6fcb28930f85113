"""Gradual rollout: a challenger model beside the champion, in shadow or on a share of applicants.

Settings: ``challenger_model_path``, ``rollout_mode`` (``off | shadow | split``), ``challenger_percent``.

- ``shadow``: the champion decides every case; the challenger scores it too and its result goes into the
  audit record (``shadow``), never into the response.
- ``split``: ``challenger_percent`` % of applicants get the challenger's decision. The arm is sticky: it is
  a hash of the applicant id (SHA-256, first 8 bytes, modulo 10 000), so an applicant who applies again
  meets the same model in every worker and after restarts.
- The kill switch routes everything to the champion (and, while engaged, no model decides; see
  :mod:`.killswitch`).

The challenger passes the same checks as the champion: its SHA-256 matches its metadata and the model
inventory holds an approval of it. If it does not, it is not loaded (logged) and every case goes to the
champion. The arm is recorded on every decision (``rollout_arm``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from .governance.errors import GovernanceError
from .governance.inventory import INVENTORY, require_approval
from .logs import get_logger
from .model import ModelLoadError, ScoringModel, load_model
from .model.explain import Explainer, explainer_for
from .policy import Thresholds, decide
from .settings import Settings

CHAMPION, CHALLENGER = "champion", "challenger"
RolloutMode = Literal["off", "shadow", "split"]
_BUCKETS = 10_000
log = get_logger(__name__)


@dataclass(frozen=True)
class Arm:
    """A model that can decide, with its explainer (None when explanations are off)."""

    name: str
    model: ScoringModel
    explainer: Explainer | None


def bucket(applicant_id: str) -> int:
    """0-9999, stable for an applicant id across processes and releases (not Python's salted ``hash``)."""
    digest = hashlib.sha256(applicant_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def assigned_arm(applicant_id: str, percent: float) -> str:
    """``challenger`` for ``percent`` % of applicant ids (sticky), else ``champion``."""
    return CHALLENGER if bucket(applicant_id) < round(percent * _BUCKETS / 100) else CHAMPION


def load_challenger(settings: Settings) -> Arm | None:
    """The verified, approved challenger, or None (logged) when rollout is off or it fails a check."""
    path = settings.challenger_model_path
    if settings.rollout_mode == "off" or path is None:
        return None
    try:
        model = load_model(path)
        require_approval(model, settings.inventory_path or path.with_name(INVENTORY))
    except (ModelLoadError, GovernanceError) as exc:
        log.error("challenger_not_loaded", path=str(path), reason=str(exc))
        return None
    explainer = None
    if settings.explanations_enabled:
        explainer = explainer_for(model, settings.explanation_reasons)
    log.info("challenger_loaded", name=model.name, version=model.version, sha256=model.sha256)
    return Arm(CHALLENGER, model, explainer)


def deciding_arm(
    champion: Arm, challenger: Arm | None, settings: Settings, applicant_id: str, *, suspended: bool
) -> Arm:
    """The arm whose result is returned: the challenger only in split mode, for its share, and never while
    the kill switch is engaged."""
    if challenger is None or suspended or settings.rollout_mode != "split":
        return champion
    return challenger if assigned_arm(applicant_id, settings.challenger_percent) == CHALLENGER else champion


def shadow_result(challenger: Arm, features: dict[str, Any], thresholds: Thresholds) -> dict[str, Any]:
    """What the challenger would have decided (recorded, never returned)."""
    probability = challenger.model.predict(features)
    decision = decide(probability, thresholds)
    model = challenger.model
    return {
        "model": {"name": model.name, "version": model.version, "sha256": model.sha256},
        "probability_of_default": probability,
        "decision": decision,
    }
