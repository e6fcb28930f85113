"""Per-decision explanations (reason codes) for a model of any family.

The model gives an exact additive attribution of its log-odds (see each family): exact coefficient terms
for linear pipelines, TreeSHAP for XGBoost and LightGBM, exact interventional Shapley values otherwise.
``base_log_odds + sum(contributions) == log_odds`` for every family. This module turns the attribution into
the response: every contribution, and the largest ones as sentences an applicant can read.

Everything it needs comes from the artifact's metadata (the typical applicant, the background): serving
never regenerates training data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..contract import CONTRACT, ReasonSpec
from ..contract._expr import parse
from ..schemas import Explanation, Reason
from .artifact import ModelLoadError, ScoringModel
from .features import FEATURES, derive

_REASONS = CONTRACT.outcome.reasons
_VALUE = frozenset({"value"})


def show(spec: ReasonSpec, value: float) -> str:
    """A feature's value as a reason sentence shows it: ``shown_as``, then ``format``, without a trailing ".0"."""
    shown = parse(spec.shown_as, _VALUE)({"value": value}) if spec.shown_as else value
    return spec.format.format(shown).removesuffix(".0")


class Explainer:
    """Scores and explains one application with a single pass through the model."""

    def __init__(self, model: ScoringModel, top: int = 4) -> None:
        self.model = model
        self.top = top
        self._typical = model.background.typical

    def explain(self, record: Mapping[str, Any]) -> tuple[float, Explanation]:
        """The probability of default and its explanation (every contribution, and the top reasons)."""
        attribution = self.model.explain(record)
        per_feature = attribution.contributions
        values = derive(record)
        order = sorted(range(len(FEATURES)), key=lambda i: -abs(per_feature[i]))
        reasons = [self._reason(FEATURES[i], values[i], float(per_feature[i])) for i in order[: self.top]]
        explanation = Explanation(
            method=attribution.method,
            base_log_odds=attribution.base,
            log_odds=attribution.base + math.fsum(per_feature),
            contributions={name: float(c) for name, c in zip(FEATURES, per_feature, strict=True)},
            reasons=reasons,
        )
        return attribution.probability, explanation

    def _reason(self, feature: str, value: float | str, contribution: float) -> Reason:
        """The reason code of one feature, worded by ``[outcome.reasons]`` of the contract."""
        verb = _REASONS.raises if contribution > 0 else _REASONS.lowers
        spec = _REASONS.features[feature]
        if isinstance(value, str):
            sentence = _REASONS.category_sentence.format(label=spec.label, value=value, typical="", verb=verb)
        else:
            typical = show(spec, float(self._typical[feature]))
            sentence = _REASONS.number_sentence.format(
                label=spec.label, value=show(spec, value), typical=typical, verb=verb
            )
        effect = "raises_risk" if contribution > 0 else "lowers_risk"
        return Reason(feature=feature, value=value, contribution=contribution, effect=effect, sentence=sentence)


def explainer_for(model: ScoringModel, top: int = 4) -> Explainer:
    """An :class:`Explainer` for ``model`` (its background comes with it, from the metadata).

    :class:`ModelLoadError` when the metadata holds no background: such a model does not serve while
    explanations are on (re-train it, or re-import it with ``model import``).
    """
    if not model.background.typical:
        msg = f"the metadata of {model.name} {model.version} has no explainer background; re-train or re-import it"
        raise ModelLoadError(msg)
    return Explainer(model, top)
