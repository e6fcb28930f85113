"""Render into a temporary folder beside the target, then move it into place in one rename.

A failure or Ctrl-C while rendering removes the temporary folder and leaves the target untouched:
nothing is ever half-written where the user looks.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidInputError, TargetExistsError


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder, or whose parent cannot hold it."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "folder" if target.is_dir() else "file"
        raise TargetExistsError(
            f"{target} already exists and is a non-empty {what}",
            "Choose another name or --output-dir, or remove it first.",
        )
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise InvalidInputError(f"{parent} is not a folder", "Pass a folder as --output-dir.")


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Yield an empty folder to render into; on success move it to ``target``, otherwise delete it."""
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.factory-", dir=target.parent))
    stage = scratch / target.name
    try:
        yield stage
        _move_into_place(stage, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _move_into_place(stage: Path, target: Path) -> None:
    check_target(target)  # someone may have created it while we rendered
    if target.is_dir():
        target.rmdir()  # empty: checked above
    stage.replace(target)
