"""Population drift: the population stability index (PSI) of live requests against the training baseline.

Training writes ``drift-baseline.json`` beside the model: for each feature (and the model's score) the
bins and the share of training rows in each. Numeric features use the training deciles as bin edges;
categorical ones use their categories. The service keeps a rolling window of the last requests' bins
and, every few requests, sets ``feature_drift_psi{feature=...}`` (``feature="score"`` for the score):

    PSI = sum over bins of (live share - training share) * ln(live share / training share)

Shares are floored at a small epsilon so an empty bin does not give infinity. Rules of thumb: under 0.1
stable, 0.1-0.2 moderate shift, over 0.2 (the default threshold, a setting) a shift worth acting on.
"""

from __future__ import annotations

import bisect
import json
import math
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .features import CATEGORICAL, FEATURES, NUMERIC, derive

BASELINE_FILE = "drift-baseline.json"
SCORE = "score"
_DECILES = np.linspace(0.1, 0.9, 9)
_EPSILON = 1e-4


@dataclass(frozen=True)
class Bins:
    """How one feature is binned, and the share of training rows in each bin."""

    name: str
    edges: tuple[float, ...] = ()  # numeric: inner cut points (bins: below the first, ..., above the last)
    categories: tuple[str, ...] = ()  # categorical: one bin per category
    expected: tuple[float, ...] = ()

    def index(self, value: Any) -> int:
        """The bin of ``value`` (an unknown category counts in the last bin)."""
        if self.categories:
            try:
                return self.categories.index(str(value))
            except ValueError:
                return len(self.categories) - 1
        return bisect.bisect_right(self.edges, float(value))  # as np.searchsorted(side="right"), per value

    def to_json(self) -> dict[str, Any]:
        """As stored in the baseline file."""
        return {"edges": list(self.edges), "categories": list(self.categories), "expected": list(self.expected)}


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """The population stability index of ``actual`` shares against ``expected`` shares."""
    total = 0.0
    for want, got in zip(expected, actual, strict=True):
        e, a = max(want, _EPSILON), max(got, _EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def build_baseline(matrix: npt.NDArray[np.object_], scores: npt.NDArray[np.float64]) -> dict[str, Bins]:
    """Bins and training shares for every feature of ``matrix`` (FEATURES order) and for ``scores``."""
    baseline: dict[str, Bins] = {}
    for column, name in enumerate(FEATURES):
        values = matrix[:, column]
        if name in NUMERIC:
            baseline[name] = _numeric_bins(name, values.astype(float))
        else:
            categories = CATEGORICAL[name]
            counts = [int(np.sum(values == c)) for c in categories]
            baseline[name] = Bins(name, categories=categories, expected=_shares(counts))
    baseline[SCORE] = _numeric_bins(SCORE, scores)
    return baseline


def _numeric_bins(name: str, values: npt.NDArray[np.float64]) -> Bins:
    edges = tuple(sorted({round(float(q), 6) for q in np.quantile(values, _DECILES)}))
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return Bins(name, edges=edges, expected=_shares([int(c) for c in counts]))


def _shares(counts: Sequence[int]) -> tuple[float, ...]:
    total = sum(counts) or 1
    return tuple(round(c / total, 6) for c in counts)


def write_baseline(baseline: Mapping[str, Bins], path: Path) -> None:
    """Write the baseline as stable, reviewable JSON."""
    payload = {name: bins.to_json() for name, bins in baseline.items()}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> dict[str, Bins]:
    """Read a baseline written by :func:`write_baseline`."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: Bins(name, tuple(b["edges"]), tuple(b["categories"]), tuple(b["expected"])) for name, b in raw.items()
    }


class DriftMonitor:
    """A rolling window of live bins per feature; PSI against the baseline once the window is full enough."""

    def __init__(self, baseline: Mapping[str, Bins], *, window: int, min_samples: int) -> None:
        self.baseline = dict(baseline)
        self.min_samples = min_samples
        self._window: deque[tuple[int, ...]] = deque(maxlen=window)
        self._counts = {name: [0] * len(bins.expected) for name, bins in self.baseline.items()}
        self._names = tuple(self.baseline)
        self._observed = 0
        self._lock = threading.Lock()

    def observe(self, record: Mapping[str, Any], probability: float) -> int:
        """Add one scored request (raw application fields and its probability of default); return how many so far."""
        values = dict(zip(FEATURES, derive(record), strict=True))
        values[SCORE] = probability
        row = tuple(self.baseline[name].index(values[name]) for name in self._names)
        with self._lock:
            if len(self._window) == self._window.maxlen:
                for name, old in zip(self._names, self._window[0], strict=True):
                    self._counts[name][old] -= 1
            self._window.append(row)
            for name, new in zip(self._names, row, strict=True):
                self._counts[name][new] += 1
            self._observed += 1
            return self._observed

    @property
    def samples(self) -> int:
        """Requests in the window."""
        return len(self._window)

    def psi(self) -> dict[str, float]:
        """PSI per feature (and ``score``); empty until the window holds ``min_samples`` requests."""
        with self._lock:
            n = len(self._window)
            if n < self.min_samples:
                return {}
            shares = {name: [c / n for c in counts] for name, counts in self._counts.items()}
        return {name: round(psi(self.baseline[name].expected, shares[name]), 6) for name in self._names}
