"""Governance controls of the model: fairness gate, model card and the model inventory with approvals.

Serving needs only :mod:`.inventory` (is this artifact approved?); :mod:`.fairness` and :mod:`.card` run
at training and in the checks, and need the ``train`` extra (fairlearn).
"""

from .errors import GovernanceError, UnapprovedModelError

__all__ = ["GovernanceError", "UnapprovedModelError"]
