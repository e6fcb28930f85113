"""The credit-risk model: synthetic training data, training, and safe loading of the artifact."""

from .artifact import ModelLoadError, ScoringModel, load_model

__all__ = ["ModelLoadError", "ScoringModel", "load_model"]
