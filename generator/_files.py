"""The files of a template or module folder, without caches and version-control data."""

from __future__ import annotations

from pathlib import Path

_IGNORED = {"__pycache__", ".git", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_IGNORED_SUFFIXES = (".pyc", ".pyo")


def template_files(folder: Path) -> list[Path]:
    files = []
    for path in folder.rglob("*"):
        rel_parts = path.relative_to(folder).parts
        if any(part in _IGNORED for part in rel_parts) or path.name.endswith(_IGNORED_SUFFIXES):
            continue
        if path.is_file():
            files.append(path)
    return sorted(files)
