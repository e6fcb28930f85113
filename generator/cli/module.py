"""``factory module new|check|publish``: for platform teams who write modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator import NewRequest, check_module, new_project, publish_module
from generator.errors import CheckFailedError

from ._errors import handles_errors
from ._options import Trust
from ._output import print_check, print_new_module, print_published, progress

EXAMPLES = """Examples:

  factory module new fraud-signals --output-dir ~/src

  factory module check ./fraud-signals           # every preset, fresh and as an upgrade

  factory module publish ./fraud-signals         # check, then record the version in the registry
"""

app = typer.Typer(name="module", help="Write, check and publish integration modules.", no_args_is_help=True)


@app.callback(epilog=EXAMPLES)
def _group() -> None:
    """Write, check and publish integration modules."""


@app.command("new", epilog="Example: factory module new fraud-signals --output-dir ~/src")
@handles_errors
def new(
    name: Annotated[
        str, typer.Argument(help="Module name, e.g. fraud-signals (lowercase, digits, hyphens).")
    ],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder to create it in.")] = Path(),
    git: Annotated[bool, typer.Option("--git/--no-git", help="Make it a git repository.")] = True,
) -> None:
    """Create a module from the module template: manifest, extension point, tests and docs."""
    request = NewRequest(
        name=name, output_dir=output_dir.expanduser().resolve(), template="module", git_init=git
    )
    with progress() as step:
        result = new_project(request, step)
    print_new_module(result, Path.cwd())


@app.command("check", epilog="Example: factory module check ./fraud-signals")
@handles_errors
def check(
    path: Annotated[Path, typer.Argument(help="The module's folder.")] = Path(),
    trust: Trust = False,
) -> None:
    """Render the module into fresh projects (each preset) and as an upgrade, and run its tests there."""
    with progress() as step:
        result = check_module(path, trust=trust, progress=step)
    print_check(result)
    if not result.ok:
        raise CheckFailedError(
            f"{result.module} {result.version} failed its check", "Fix the failures above."
        )


@app.command("publish", epilog="Example: factory module publish ./fraud-signals")
@handles_errors
def publish(
    path: Annotated[Path, typer.Argument(help="The module's folder.")] = Path(),
    trust: Trust = False,
) -> None:
    """Check the module, then record its version in the registry that `list` and `add` read."""
    with progress() as step:
        published = publish_module(path, trust=trust, progress=step)
    print_published(published)
