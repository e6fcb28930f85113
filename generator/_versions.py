"""Comparing template and module versions (PEP 440, with a fallback for other tags)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version


def is_newer(candidate: str, current: str) -> bool:
    """Whether ``candidate`` is a newer version than ``current`` (any difference, when not PEP 440)."""
    try:
        return Version(candidate) > Version(current)
    except InvalidVersion:
        return candidate != current
