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
from collections.abc import Callable, Mapping
from typing import Any

from ..schemas import Explanation, Reason
from .artifact import ModelLoadError, ScoringModel
from .features import FEATURES, derive

_NUMBER_LABELS: dict[str, tuple[str, Callable[[float], str]]] = {
    "log_monthly_income": ("Monthly income", lambda v: f"INR {math.expm1(v):,.0f}"),
    "debt_to_income": ("Existing EMIs as a share of income", lambda v: f"{100 * v:.0f}%"),
    "loan_to_annual_income": ("Loan amount relative to annual income", lambda v: f"{v:.1f} times"),
    "credit_history_months": ("Length of credit history", lambda v: f"{v:.0f} months"),
    "past_delinquencies": ("Past delinquencies", lambda v: f"{v:.1f}".removesuffix(".0")),
    "loan_tenure_months": ("Loan tenure", lambda v: f"{v:.0f} months"),
}
_CATEGORY_LABELS = {"employment_type": "Employment type", "region": "Region", "age_band": "Age band"}


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
        verb = "raised" if contribution > 0 else "lowered"
        if isinstance(value, str):
            sentence = f"{_CATEGORY_LABELS[feature]} '{value}' {verb} the estimated risk of default."
        else:
            label, show = _NUMBER_LABELS[feature]
            typical = show(float(self._typical[feature]))
            sentence = f"{label}: {show(value)} (typical applicant: {typical}) {verb} the estimated risk of default."
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
