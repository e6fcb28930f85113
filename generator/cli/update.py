"""``factory update [PATH]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import update_project
from generator.errors import UpdateConflictError

from ._errors import handles_errors
from ._options import Trust
from ._output import print_update, progress

EXAMPLES = """Examples:

  factory update                 # in a project: upgrade the template and every module

  factory update --pretend ./loan-scoring   # list what would change, touch nothing

Exit codes (the same with --pretend): 0 updated or up to date, 1 refused (e.g. uncommitted changes),
3 conflicts left to resolve, 5 the template source cannot be reached.
"""


@handles_errors
def update(
    path: Annotated[Path, typer.Argument(help="The project to update.")] = Path(),
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show per file what would change, without changing anything.")
    ] = False,
    trust: Trust = False,
) -> None:
    """Upgrade a project and its modules to their newest versions, keeping your edits."""
    with progress() as step:
        step("Updating from the template")
        result = update_project(path.expanduser(), pretend=pretend, trust=trust)
    print_update(result)
    if result.conflicts and pretend:
        raise UpdateConflictError(
            f"the update would leave {len(result.conflicts)} file(s) with conflicts: "
            f"{', '.join(result.conflicts)}",
            "Nothing was changed. Run `factory update`, then resolve the <<<<<<< / >>>>>>> markers.",
            result.conflicts,
        )
    if result.conflicts:
        raise UpdateConflictError(
            f"{len(result.conflicts)} file(s) have conflicts: {', '.join(result.conflicts)}",
            "Resolve the <<<<<<< / >>>>>>> markers in those files, run `make check`, then commit.",
            result.conflicts,
        )
