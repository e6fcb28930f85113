"""The model: one protocol (identity, predict, explain) with one implementation per family, loaded safely."""

from .artifact import Attribution, Background, Identity, ModelLoadError, ScoringModel, load_model, metadata_path

__all__ = ["Attribution", "Background", "Identity", "ModelLoadError", "ScoringModel", "load_model", "metadata_path"]
