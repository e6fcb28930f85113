"""Rendering engines. Only :mod:`generator._engines.copier` imports copier."""
