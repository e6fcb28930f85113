"""A seeded, realistic synthetic Indian retail-credit data set: the ``credit-scoring`` kind's signal.

The inputs and their categories are the contract's (``usecase.toml``); the signal is this kind's own and
documented here. Incomes are log-normal by employment type and region; debt, loan size and tenure follow
the income; the default label comes from a latent risk model with noise (debt-to-income, delinquencies,
credit history, loan size, income, employment and age band raise or lower it). ``gender``, the
contract's protected attribute, is generated (with a realistic income gap, so fairness checks have
something to find) but never a model feature. Every record satisfies the contract's bounds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contract import CONTRACT
from .features import CATEGORICAL

_INCOME_MEDIAN = {  # INR per month
    "salaried": 52_000,
    "self_employed": 45_000,
    "business_owner": 70_000,
    "unemployed": 9_000,
    "retired": 28_000,
}
_EMPLOYMENT_P = (0.52, 0.2, 0.1, 0.06, 0.12)
_REGION_FACTOR = {"north": 1.05, "south": 1.1, "east": 0.85, "west": 1.15, "central": 0.9, "northeast": 0.8}
_AGE_P = (0.16, 0.32, 0.25, 0.19, 0.08)
_EMPLOYMENT_RISK = {"salaried": 0.0, "self_employed": 0.35, "business_owner": 0.2, "unemployed": 1.2, "retired": 0.3}
_HIGH_DEBT_TO_INCOME = 0.35  # above this share of income in EMIs, missed payments become more frequent
_AGE_RISK = {"18-25": 0.35, "26-35": 0.1, "36-45": 0.0, "46-60": 0.05, "60+": 0.25}


@dataclass(frozen=True)
class Dataset:
    """Raw application records, default labels and the protected attributes' values, row-aligned."""

    records: list[dict[str, Any]]
    labels: np.ndarray[Any, np.dtype[np.int64]]
    protected: dict[str, list[str]]


@dataclass(frozen=True)
class Split:
    """Row indices of the training and held-out parts of a :class:`Dataset`."""

    train: np.ndarray[Any, np.dtype[np.int64]]
    holdout: np.ndarray[Any, np.dtype[np.int64]]


def split(rows: int, seed: int, holdout_fraction: float) -> Split:
    """The seeded train/held-out split used by training and re-used by every check of the shipped model."""
    order = np.random.default_rng(seed + 1).permutation(rows)
    cut = int(rows * (1 - holdout_fraction))
    return Split(order[:cut], order[cut:])


def digest(data: Dataset) -> str:
    """SHA-256 of the records and labels, recorded in the model metadata to pin the training data."""
    canonical = json.dumps({"records": data.records, "labels": data.labels.tolist()}, sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()


def generate(rows: int, seed: int) -> Dataset:
    """``rows`` synthetic applications, reproducible for a given ``seed``."""
    rng = np.random.default_rng(seed)
    employment = rng.choice(CATEGORICAL["employment_type"], size=rows, p=_EMPLOYMENT_P)
    region = rng.choice(CATEGORICAL["region"], size=rows)
    age = rng.choice(CATEGORICAL["age_band"], size=rows, p=_AGE_P)
    gender = rng.choice(CONTRACT.inputs["gender"].categories or (), size=rows, p=(0.42, 0.58))
    median = np.array([_INCOME_MEDIAN[e] * _REGION_FACTOR[r] for e, r in zip(employment, region, strict=True)])
    income = np.round(median * np.where(gender == "female", 0.9, 1.0) * rng.lognormal(0, 0.45, rows), -2)
    debt = np.round(income * rng.beta(2, 6, rows), -2)
    loan = np.round(income * rng.uniform(3, 40, rows), -3)
    tenure = rng.choice((12, 24, 36, 48, 60, 84, 120, 180, 240), size=rows)
    history = np.clip(rng.gamma(3, 22, rows), 0, 480).astype(int)
    delinquencies = rng.poisson(np.where(debt / income > _HIGH_DEBT_TO_INCOME, 0.9, 0.25))
    latent = (
        -3.1
        + 4.2 * (debt / income)
        + 0.55 * delinquencies
        - 0.006 * history
        + 0.012 * (loan / (12 * income)) * 12
        - 0.45 * (np.log(income) - np.log(40_000))
        + np.array([_EMPLOYMENT_RISK[e] for e in employment])
        + np.array([_AGE_RISK[a] for a in age])
        + rng.normal(0, 0.6, rows)
    )
    labels = (rng.uniform(size=rows) < 1 / (1 + np.exp(-latent))).astype(np.int64)
    records = [
        {
            "monthly_income": float(income[i]),
            "monthly_debt_payments": float(debt[i]),
            "credit_history_months": int(history[i]),
            "past_delinquencies": int(delinquencies[i]),
            "employment_type": str(employment[i]),
            "region": str(region[i]),
            "age_band": str(age[i]),
            "loan_amount": float(max(loan[i], 1000.0)),
            "loan_tenure_months": int(tenure[i]),
        }
        for i in range(rows)
    ]
    return Dataset(records, labels, {"gender": [str(g) for g in gender]})
