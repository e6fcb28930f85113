"""``factory status [PATH]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import project_status

from ._errors import handles_errors
from ._output import print_status

EXIT_CONFLICTS = 3
EXIT_OUTDATED = 4

EXAMPLES = """Examples:

  factory status

  factory status --json ./loan-scoring

Exit codes: 0 up to date, 3 files hold conflict markers, 4 newer template or module versions exist,
5 a template source cannot be reached (so nothing can be said about newer versions).
"""


@handles_errors
def status(
    path: Annotated[Path, typer.Argument(help="The project.")] = Path(),
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the template and module versions of a project, newer versions, and unresolved conflicts."""
    result = project_status(path.expanduser())
    print_status(result, as_json=json_output)
    if result.conflicts:
        raise typer.Exit(EXIT_CONFLICTS)
    if result.outdated:
        raise typer.Exit(EXIT_OUTDATED)
