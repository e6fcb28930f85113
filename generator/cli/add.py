"""``factory add MODULE...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import add_modules
from generator._answers import parse_data_options

from ._errors import handles_errors
from ._options import Trust
from ._output import print_add, progress

EXAMPLES = """Examples:

  factory add redis-cache                        # in a project

  factory add event-bus --data backend=nats --project ./loan-scoring

Modules a module requires are added first; adding a module that is already there changes nothing.
"""


@handles_errors
def add(
    modules: Annotated[list[str], typer.Argument(help="Modules to add (`factory list` shows them).")],
    project: Annotated[Path, typer.Option("--project", "-p", help="The project to add to.")] = Path(),
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help="An answer to a module question as key=value.")
    ] = None,
    trust: Trust = False,
) -> None:
    """Add integration modules to a generated project, each as its own copier application."""
    with progress() as step:
        step(f"Adding {', '.join(modules)}")
        result = add_modules(project.expanduser(), modules, parse_data_options(data or []), trust=trust)
    print_add(result)
