"""The ``factory`` command line: thin commands over the public API (see generator/__init__.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from generator import __version__

from . import add as add_cmd
from . import import_ as import_cmd
from . import list as list_cmd
from . import module as module_cmd
from . import new as new_cmd
from . import remove as remove_cmd
from . import status as status_cmd
from . import update as update_cmd

app = typer.Typer(
    name="factory",
    help="Generate governed, production-ready AI scoring services and keep them current.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("new", epilog=new_cmd.EXAMPLES)(new_cmd.new)
app.command("add", epilog=add_cmd.EXAMPLES)(add_cmd.add)
app.command("remove", epilog=remove_cmd.EXAMPLES)(remove_cmd.remove)
app.command("update", epilog=update_cmd.EXAMPLES)(update_cmd.update)
app.command("status", epilog=status_cmd.EXAMPLES)(status_cmd.status)
app.command("list", epilog=list_cmd.EXAMPLES)(list_cmd.list_)
app.add_typer(module_cmd.app)
app.add_typer(import_cmd.app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"factory {__version__}")
        raise typer.Exit


@app.callback(epilog="Example: factory new loan-scoring --defaults")
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Generate governed, production-ready AI scoring services and keep them current."""
    del version


def main() -> None:
    """Entry point of the ``factory`` script."""
    app()
