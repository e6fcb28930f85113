"""The decision policy: the one rule from a model's probability to a decision, read from the contract.

``[outcome.decisions]`` in ``usecase.toml`` names three decisions: one taken below a threshold (approve),
one above another (decline), and the one in between, which a person takes (refer: the review queue).
The thresholds default to the contract's and can be overridden per deployment (``approve_below`` and
``decline_above`` settings); every decision records the thresholds it used. Scoring, the review of a
referred case and the shadow challenger all decide through :func:`decide`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .contract import CONTRACT, Decision

if TYPE_CHECKING:
    from .settings import Settings

LOW, REFERRAL, HIGH = cast("tuple[Decision, Decision, Decision]", CONTRACT.decision_names)
"""The decision below the low threshold, the one in between (taken by a person), the one above the high one."""
HUMAN_DECISIONS: frozenset[str] = frozenset(n for n, d in CONTRACT.outcome.decisions.items() if d.human)
REVIEW_FLAGS: tuple[str, ...] = CONTRACT.outcome.review_flags
"""Boolean inputs that, when true, send the case to a person whatever the model says."""


@dataclass(frozen=True)
class Thresholds:
    """``below``: the low decision under it; ``above``: the high decision over it; a person in between."""

    below: float
    above: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        """The thresholds in force (the contract's, unless the deployment overrides them)."""
        return cls(settings.approve_below, settings.decline_above)


def decide(probability: float, thresholds: Thresholds) -> Decision:
    """The decision the thresholds alone make of ``probability``."""
    if probability < thresholds.below:
        return LOW
    if probability > thresholds.above:
        return HIGH
    return REFERRAL
