"""``factory new NAME``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from generator import NewRequest, new_project
from generator._answers import parse_data_options

from ._errors import handles_errors
from ._options import Trust
from ._output import print_new, progress

EXAMPLES = """Examples:

  factory new loan-scoring --defaults

  factory new fraud-check --data port=8080 --data python_version=3.12 --output-dir ~/src

  factory new claims-triage --answers-file answers.yml --defaults

  factory new loan-scoring --defaults --module event-bus --data backend=nats
"""


@handles_errors
def new(
    name: Annotated[
        str, typer.Argument(help="Project name, e.g. loan-scoring (lowercase, digits, hyphens).")
    ],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder to create the project in.")
    ] = Path(),
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help="An answer as key=value (repeatable).")
    ] = None,
    answers_file: Annotated[
        Path | None, typer.Option("--answers-file", help="YAML file of answers (e.g. another project's).")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use defaults for every question not answered (no prompts).")
    ] = False,
    template: Annotated[str, typer.Option("--template", help="Template to render.")] = "service",
    module: Annotated[
        list[str] | None, typer.Option("--module", "-m", help="A module to add (repeatable).")
    ] = None,
    trust: Trust = False,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="Create a git repository with a first commit.")
    ] = True,
) -> None:
    """Create a new project from a template (prompts for answers when a terminal is attached)."""
    request = NewRequest(
        name=name,
        output_dir=output_dir.expanduser().resolve(),
        template=template,
        data=parse_data_options(data or []),
        answers_file=answers_file,
        ask=not defaults and sys.stdin.isatty(),
        git_init=git,
        modules=tuple(module or ()),
        trust=trust,
    )
    with progress(spinner=not request.ask) as step:
        result = new_project(request, step)
    print_new(result, Path.cwd())
