"""Exact interventional Shapley values, for models whose structure gives no exact explanation (ONNX, forests).

The value of a coalition ``S`` of features is the model's mean log-odds over a small background sample
stored in the artifact's metadata, with the features in ``S`` set to the applicant's values and the
others kept from each background row (interventional, Janzing et al. 2020). Every one of the 2^n
coalitions is evaluated (n = 9 features: 512 coalitions x the background rows in one batch), so the
values are exact Shapley values of that game, not samples: they add up to the applicant's log-odds minus
the mean log-odds of the background. The cost grows as 2^n; :data:`MAX_FEATURES` bounds it.
"""

from __future__ import annotations

from collections.abc import Callable
from math import factorial

import numpy as np
import numpy.typing as npt

MAX_FEATURES = 14  # 16,384 coalitions: beyond that, an exact explanation per request is too slow to serve

Matrix = npt.NDArray[np.object_]
Vector = npt.NDArray[np.float64]


def coalitions(n: int) -> npt.NDArray[np.bool_]:
    """Every subset of ``n`` features as a boolean mask, one row per subset (row ``k`` = the bits of ``k``)."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def weights(masks: npt.NDArray[np.bool_]) -> Vector:
    """For each coalition of size s (of n features), the Shapley weight s! (n - s - 1)! / n! of a feature joining it."""
    n = masks.shape[1]
    by_size = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)] + [0.0])
    result: Vector = by_size[masks.sum(axis=1)]
    return result


def shapley_values(
    row: Matrix, background: Matrix, log_odds: Callable[[Matrix], Vector]
) -> tuple[float, float, Vector]:
    """``(base, value of the row, contributions)``: ``base + sum(contributions) == value`` exactly.

    ``row`` is one model input row, ``background`` k rows of the same shape, ``log_odds`` the model's
    margin for a batch of rows.
    """
    n = row.shape[0]
    if n > MAX_FEATURES:
        raise ValueError(f"{n} features are too many for exact Shapley values (at most {MAX_FEATURES})")
    masks = coalitions(n)
    k = background.shape[0]
    take = np.broadcast_to(masks[:, None, :], (len(masks), k, n))
    batch = np.where(take, row[None, None, :], background[None, :, :])  # (2^n coalitions, k rows, n)
    value = log_odds(batch.reshape(-1, n)).reshape(len(masks), k).mean(axis=1)
    w = weights(masks)
    contributions = np.zeros(n)
    for j in range(n):
        without = np.flatnonzero(~masks[:, j])  # coalition k without j; k + 2^j is k with j
        contributions[j] = float(np.sum(w[without] * (value[without + (1 << j)] - value[without])))
    return float(value[0]), float(value[-1]), contributions
