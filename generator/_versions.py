"""Comparing template and module versions (PEP 440, with a fallback for other tags)."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import InvalidVersion, Version


def is_newer(candidate: str, current: str) -> bool:
    """Whether ``candidate`` is a newer version than ``current`` (any difference, when not PEP 440)."""
    try:
        return Version(candidate) > Version(current)
    except InvalidVersion:
        return candidate != current


def newest_tag(tags: Iterable[str]) -> str | None:
    """The tag ``copier update`` moves to: the highest PEP 440 version, pre-releases left out.

    The same choice as copier's ``get_latest_tag`` (tags that are not versions are ignored); ``None`` when
    no tag is a version (copier then uses the source's HEAD).
    """
    versions: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append((version, tag))
    return max(versions)[1] if versions else None
