"""Input data sets made with the service's synthetic generator, written as Parquet part files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..model.data import generate
from .errors import BatchScoringError
from .scoring import ID_COLUMN


def generate_input(output: Path, rows: int, seed: int, partitions: int) -> list[Path]:
    """``rows`` seeded synthetic applications, ids ``APP-<seed>-<n>``, in ``partitions`` files under ``output``."""
    if rows < 1 or partitions < 1:
        raise BatchScoringError("rows and partitions must be at least 1")
    if output.exists() and any(output.iterdir()):
        raise BatchScoringError(f"{output} is not empty; choose a new folder for the data set")
    frame = pd.DataFrame(generate(rows, seed).records)
    frame.insert(0, ID_COLUMN, [f"APP-{seed}-{i:09d}" for i in range(rows)])
    output.mkdir(parents=True, exist_ok=True)
    written = []
    step = -(-rows // partitions)  # ceiling division: every file but the last holds `step` rows
    for number, start in enumerate(range(0, rows, step)):
        path = output / f"part-{number:05d}.parquet"
        frame.iloc[start : start + step].to_parquet(path, index=False)
        written.append(path)
    return written
