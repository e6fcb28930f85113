"""The one error batch scoring raises on purpose; its message says what to do."""

from __future__ import annotations


class BatchScoringError(Exception):
    """The job cannot run or did not finish (bad input, no Java, an audit write failed)."""
