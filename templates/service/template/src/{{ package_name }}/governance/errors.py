"""Errors of the governance controls; each message says what is wrong and how to fix it."""

from __future__ import annotations

from ..model import ModelLoadError


class GovernanceError(Exception):
    """A governance control refused: a bad policy file, a failed gate, an invalid approval."""


class UnapprovedModelError(ModelLoadError, GovernanceError):
    """The artifact has no approval record in the model inventory, so it must not serve."""
