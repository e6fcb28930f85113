"""The model's input features: one definition shared by training and serving."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

NUMERIC = (
    "log_monthly_income",
    "debt_to_income",
    "loan_to_annual_income",
    "credit_history_months",
    "past_delinquencies",
    "loan_tenure_months",
)
CATEGORICAL: dict[str, tuple[str, ...]] = {
    "employment_type": ("salaried", "self_employed", "business_owner", "unemployed", "retired"),
    "region": ("north", "south", "east", "west", "central", "northeast"),
    "age_band": ("18-25", "26-35", "36-45", "46-60", "60+"),
}
FEATURES = (*NUMERIC, *CATEGORICAL)
# The application fields each numeric feature is computed from (a 422 names them when it is not finite).
SOURCES: dict[str, tuple[str, ...]] = {
    "log_monthly_income": ("monthly_income",),
    "debt_to_income": ("monthly_debt_payments", "monthly_income"),
    "loan_to_annual_income": ("loan_amount", "monthly_income"),
    "credit_history_months": ("credit_history_months",),
    "past_delinquencies": ("past_delinquencies",),
    "loan_tenure_months": ("loan_tenure_months",),
}
# Personal data and the protected attribute are never features.
EXCLUDED = ("applicant_id", "full_name", "phone", "gender")


def derive(record: Mapping[str, Any]) -> list[Any]:
    """One row of model input from raw application fields (same code for training and serving)."""
    income = float(record["monthly_income"])
    return [
        float(np.log1p(income)),
        float(record["monthly_debt_payments"]) / income,
        float(record["loan_amount"]) / (12.0 * income),
        float(record["credit_history_months"]),
        float(record["past_delinquencies"]),
        float(record["loan_tenure_months"]),
        *(str(record[name]) for name in CATEGORICAL),
    ]


def non_finite(record: Mapping[str, Any]) -> list[str]:
    """The numeric features of ``record`` that are not finite numbers (a tiny income makes a ratio infinite)."""
    return [name for name, value in zip(NUMERIC, derive(record), strict=False) if not math.isfinite(value)]


def to_matrix(records: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.object_]:
    """A 2-D object array (numeric and categorical columns) in :data:`FEATURES` order."""
    return np.array([derive(r) for r in records], dtype=object).reshape(len(records), len(FEATURES))
