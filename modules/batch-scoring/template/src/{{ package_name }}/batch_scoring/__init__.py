"""Batch scoring on Apache Spark: the service's model, explanations, policy and audit trail, for a whole data set.

``python -m <package>.batch_scoring generate|score`` (see ``__main__``); :func:`score_dataset` is the API.
"""

from .data import generate_input
from .errors import BatchScoringError
from .job import MANIFEST, BatchReport, score_dataset
from .settings import BatchScoringSettings
from .spark import spark_session

__all__ = [
    "MANIFEST",
    "BatchReport",
    "BatchScoringError",
    "BatchScoringSettings",
    "generate_input",
    "score_dataset",
    "spark_session",
]
