"""The model card: ``models/model-card.json`` and ``models/MODEL_CARD.md``, built from the artifact itself.

:func:`build_card` reads the verified artifact, its metadata and the fairness report, so the card cannot
describe a model other than the one shipped; the Markdown is rendered from the JSON, never edited by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from .._meta import OWNER
from ..contract import CONTRACT
from ..model import ScoringModel, load_model
from ..model.features import CATEGORICAL, EXCLUDED, FEATURES, NUMERIC
from .errors import GovernanceError
from .files import CARD_JSON, CARD_MARKDOWN, read_metadata, write_json

if TYPE_CHECKING:
    from .fairness import FairnessReport

SCHEMA_VERSION = 1
_DECIMALS = 4

FEATURE_DESCRIPTIONS = {
    **{name: spec.description for name, spec in CONTRACT.inputs.items()},
    **{name: spec.description for name, spec in CONTRACT.derived.items()},
}
_LOW, _MIDDLE, _HIGH = CONTRACT.decision_names
INTENDED_USE = {
    "purpose": CONTRACT.use_case.description,
    "users": "Credit operations of the lender, behind the service's authenticated API; reviewers for referrals.",
    "decisions": (
        f"{_LOW.capitalize()} below approve_below, {_HIGH} above decline_above, {_MIDDLE} to human review in between."
    ),
}
OUT_OF_SCOPE_USES = [
    "Any use on real applicants before it is re-trained on the lender's own data, validated and approved.",
    "Fully automated adverse decisions without the review, explanation and appeal routes of the service.",
    "Pricing, limit setting, collections, marketing or fraud detection: it was not built or validated for them.",
    "Applicants outside Indian retail credit, businesses, or loan types unlike the training data.",
    "Inferring or acting on protected characteristics (gender, religion, caste, ...) of an applicant.",
]
LIMITATIONS = [
    "Trained on seeded synthetic data: the figures describe the method, not any real portfolio.",
    "Fairness is measured for one protected attribute (gender, binary in the data); other attributes, "
    "intersections and proxies (region, employment type) need their own analysis on real data.",
    "Logistic regression: effects are additive in log-odds; interactions are not modelled.",
    "Held-out metrics come from the same synthetic distribution; expect drift on live data and monitor it.",
    "Declared income and EMIs are taken as given; the model cannot detect misstated inputs.",
]
RISK_TIER: Final = "high"
RISK_BASIS = (
    "Creditworthiness evaluation of natural persons: EU AI Act Annex III point 5(b); credit underwriting "
    "is named high-risk in RBI FREE-AI (2025). Human review, explanations, audit and the fairness gate apply."
)


def build_card(
    model_path: Path,
    fairness: FairnessReport,
    *,
    approve_below: float,
    decline_above: float,
    sample: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The card of the artifact at ``model_path`` (verified on load) with its held-out ``fairness`` report.

    ``sample`` (raw applications) ranks the features of a model that has no coefficients to show.
    """
    model = load_model(model_path)
    metadata = read_metadata(model_path)
    missing = sorted(set(FEATURES) - FEATURE_DESCRIPTIONS.keys())
    if missing:
        raise GovernanceError(f"the model card has no description for features: {', '.join(missing)}")
    return {
        "schema_version": SCHEMA_VERSION,
        "model": {
            "name": model.name,
            "version": model.version,
            "artifact": metadata["artifact"],
            "sha256": model.sha256,
            "format": metadata["format"],
            "type": model_type(model),
            "owner": OWNER,
            "libraries": metadata["libraries"],
        },
        "risk": {"tier": RISK_TIER, "basis": RISK_BASIS},
        "intended_use": INTENDED_USE,
        "out_of_scope_uses": OUT_OF_SCOPE_USES,
        "data": {
            **_data_section(metadata),
            "label": CONTRACT.outcome.label,
            "protected_attribute": f"{fairness.protected_attribute}: measured for fairness, never a feature",
        },
        "features": [{"name": name, "description": FEATURE_DESCRIPTIONS[name]} for name in FEATURES],
        "excluded_fields": list(EXCLUDED),
        "metrics": metadata["metrics"],
        "decision_policy": {"approve_below": approve_below, "decline_above": decline_above},
        "fairness": fairness.to_dict(),
        "global_explanation": _global_explanation(model, sample),
        "limitations": LIMITATIONS,
    }


def _data_section(metadata: dict[str, Any]) -> dict[str, Any]:
    """Where the model's data came from: the seeded training set, or what ``model import`` recorded."""
    if "import" in metadata:
        return dict(metadata["import"]["data"])
    training = metadata["training"]
    return {
        "source": "Seeded synthetic Indian retail-credit applications (model/data.py)",
        "rows": training["rows"],
        "holdout_fraction": training["holdout_fraction"],
        "seed": training["seed"],
        "data_sha256": training["data_sha256"],
    }


def model_type(model: ScoringModel) -> str:
    """A one-line description of the model's family and structure."""
    pipeline = getattr(model, "pipeline", None)
    if pipeline is not None and _is_shipped_shape(pipeline):
        return "scikit-learn Pipeline: standardised numeric and one-hot categorical features, logistic regression"
    if pipeline is not None:
        return f"scikit-learn Pipeline: {', '.join(type(step).__name__ for _, step in pipeline.steps)}"
    return {
        "xgboost": "XGBoost gradient-boosted trees (binary:logistic), categorical features native",
        "lightgbm": "LightGBM gradient-boosted trees (binary), categorical features native",
        "onnx": "ONNX graph run by onnxruntime (one input per feature)",
    }.get(model.family, model.family)


def _is_shipped_shape(pipeline: Any) -> bool:
    steps = getattr(pipeline, "named_steps", {})
    return "features" in steps and type(steps.get("classifier")).__name__ == "LogisticRegression"


def _global_explanation(model: ScoringModel, sample: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    pipeline = getattr(model, "pipeline", None)
    if pipeline is not None and _is_shipped_shape(pipeline):
        return _coefficients(pipeline)
    if not sample:
        raise GovernanceError(f"the card of {model.name} needs sample applications to rank its features with")
    totals = np.zeros(len(FEATURES))
    for record in sample:
        totals += np.abs(model.explain(record).contributions)
    ranked = sorted(zip(FEATURES, totals / len(sample), strict=True), key=lambda item: (-item[1], item[0]))
    return {
        "method": (
            f"Mean absolute contribution to the log-odds of default over {len(sample)} applications of the "
            "import data (the same method as its per-decision explanations). Ranked by size."
        ),
        "importance": [{"feature": name, "mean_abs_contribution": round(float(v), _DECIMALS)} for name, v in ranked],
    }


def _coefficients(pipeline: Any) -> dict[str, Any]:
    classifier = pipeline.named_steps["classifier"]
    names = [*NUMERIC, *(f"{name}={value}" for name, values in CATEGORICAL.items() for value in values)]
    coefficients = [float(c) for c in classifier.coef_[0]]
    if len(names) != len(coefficients):
        raise GovernanceError(f"the model has {len(coefficients)} coefficients for {len(names)} encoded features")
    ranked = sorted(zip(names, coefficients, strict=True), key=lambda item: (-abs(item[1]), item[0]))
    return {
        "method": (
            "Logistic regression coefficients: change in the log-odds of default per standard deviation of a "
            "numeric feature, or for being in a category; positive values raise the risk. Ranked by magnitude."
        ),
        "intercept": round(float(classifier.intercept_[0]), _DECIMALS),
        "coefficients": [{"feature": name, "coefficient": round(value, _DECIMALS)} for name, value in ranked],
    }


def write_card(card: dict[str, Any], output_dir: Path) -> tuple[Path, Path]:
    """Write the JSON card and its Markdown rendering into ``output_dir``."""
    json_path, markdown_path = output_dir / CARD_JSON, output_dir / CARD_MARKDOWN
    write_json(card, json_path)
    markdown_path.write_text(render_markdown(card), encoding="utf-8")
    return json_path, markdown_path


def render_markdown(card: dict[str, Any]) -> str:
    """The human-readable card; every figure comes from ``card``."""
    model, data, fairness = card["model"], card["data"], card["fairness"]
    lines = [
        f"# Model card: {model['name']} {model['version']}",
        "",
        "<!-- Generated by `train` from model-card.json; do not edit (tests/test_model_card.py checks it). -->",
        "",
        "| | |",
        "| --- | --- |",
        f"| Artifact | `{model['artifact']}` ({model['format']}) |",
        f"| SHA-256 | `{model['sha256']}` |",
        f"| Type | {model['type']} |",
        f"| Owner | {model['owner']} |",
        f"| Risk tier | **{card['risk']['tier']}**: {card['risk']['basis']} |",
        f"| Libraries | {', '.join(f'{k} {v}' for k, v in sorted(model['libraries'].items()))} |",
        "",
        "## Intended use",
        "",
        *(f"- **{key.capitalize()}**: {card['intended_use'][key]}" for key in INTENDED_USE),
        "",
        "## Out-of-scope uses",
        "",
        *(f"- {text}" for text in card["out_of_scope_uses"]),
        "",
        "## Data",
        "",
        *_data_lines(data),
        "",
        "## Features",
        "",
        "| feature | description |",
        "| --- | --- |",
        *(f"| `{f['name']}` | {f['description']} |" for f in card["features"]),
        "",
        f"Never features: {', '.join(f'`{name}`' for name in card['excluded_fields'])}.",
        "",
        "## Held-out metrics",
        "",
        "| metric | value |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in sorted(card["metrics"].items())),
        "",
        f"Decision policy: approve below {card['decision_policy']['approve_below']}, decline above "
        f"{card['decision_policy']['decline_above']}, refer to a human reviewer in between.",
        "",
        *_fairness_section(fairness),
        *_explanation_section(card["global_explanation"]),
        "## Limitations",
        "",
        *(f"- {text}" for text in card["limitations"]),
        "",
    ]
    return "\n".join(lines)


def _data_lines(data: dict[str, Any]) -> list[str]:
    if "seed" not in data:  # an imported model: what the import measured it on
        return [
            f"{data['source']}: {data['rows']} rows; label {data['label']}.",
            f"Data SHA-256 `{data['data_sha256']}`. Protected attribute: {data['protected_attribute']}.",
        ]
    return [
        f"{data['source']}: {data['rows']} rows (seed {data['seed']}), "
        f"{round(100 * data['holdout_fraction'])}% held out for evaluation; label {data['label']}.",
        f"Training data SHA-256 `{data['data_sha256']}`. Protected attribute: {data['protected_attribute']}.",
    ]


def _fairness_section(fairness: dict[str, Any]) -> list[str]:
    policy = fairness["policy"]
    return [
        "## Fairness",
        "",
        f"Gate **{'passed' if fairness['passed'] else 'FAILED'}** on {fairness['rows']} held-out rows, decisions at "
        f"approve_below {fairness['approve_below']}, protected attribute `{fairness['protected_attribute']}`.",
        "",
        "| group | rows | approval rate | approval rate, repaid | approval rate, defaulted |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {g['count']} | {g['approval_rate']} | {g['approval_rate_among_repaid']} | "
            f"{g['approval_rate_among_defaulted']} |"
            for name, g in sorted(fairness["groups"].items())
        ),
        "",
        "| measure | value | threshold |",
        "| --- | --- | --- |",
        f"| demographic parity difference | {fairness['demographic_parity_difference']} | "
        f"≤ {policy['max_demographic_parity_difference']} |",
        f"| equalised odds difference | {fairness['equalized_odds_difference']} | "
        f"≤ {policy['max_equalized_odds_difference']} |",
        f"| approval rate ratio | {fairness['approval_rate_ratio']} | ≥ {policy['min_approval_rate_ratio']} |",
        "",
        *(f"- Violation: {text}" for text in fairness["violations"]),
        *([""] if fairness["violations"] else []),
    ]


def _explanation_section(explanation: dict[str, Any]) -> list[str]:
    if "importance" in explanation:
        return [
            "## Global explanation",
            "",
            explanation["method"],
            "",
            "| feature | mean absolute contribution |",
            "| --- | --- |",
            *(f"| `{c['feature']}` | {c['mean_abs_contribution']} |" for c in explanation["importance"]),
            "",
        ]
    return [
        "## Global explanation",
        "",
        explanation["method"],
        "",
        "| feature | coefficient |",
        "| --- | --- |",
        *(f"| `{c['feature']}` | {c['coefficient']} |" for c in explanation["coefficients"]),
        "",
        f"Intercept: {explanation['intercept']}.",
        "",
    ]
