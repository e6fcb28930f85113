"""``factory remove MODULE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import remove_module

from ._errors import handles_errors
from ._options import Trust
from ._output import print_remove, progress

EXAMPLES = """Examples:

  factory remove redis-cache                     # in a project

  factory remove event-bus --project ./loan-scoring

Files you edited are kept and listed; a module another module requires cannot be removed.
"""


@handles_errors
def remove(
    module: Annotated[str, typer.Argument(help="The module to remove.")],
    project: Annotated[Path, typer.Option("--project", "-p", help="The project to remove it from.")] = Path(),
    trust: Trust = False,
) -> None:
    """Remove a module's files and dependencies from a project, keeping files you edited."""
    with progress() as step:
        step(f"Removing {module}")
        result = remove_module(project.expanduser(), module, trust=trust)
    print_remove(result)
