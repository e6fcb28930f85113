"""``factory import cookiecutter PATH``: bring a template made for another tool in as a module."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from generator._cookiecutter import DEFAULT_BASE, ImportRequest, ImportResult, import_cookiecutter

from ._errors import handles_errors
from ._output import out

EXAMPLES = """Examples:

  factory import cookiecutter ../cookiecutter-report --output-dir ~/modules

  factory import cookiecutter ./my-template --name audit-export --version 1.0.0 --summary "Audit export jobs"
"""

app = typer.Typer(
    name="import",
    help="Convert a template made for another tool into a factory module.",
    no_args_is_help=True,
)


@app.callback(epilog="Example: factory import cookiecutter ../cookiecutter-report")
def _group() -> None:
    """Convert a template made for another tool into a factory module."""


@app.command("cookiecutter", epilog=EXAMPLES)
@handles_errors
def cookiecutter(
    path: Annotated[
        Path, typer.Argument(help="Folder of the cookiecutter template (holds cookiecutter.json).")
    ],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder to create the module's folder in.")
    ] = Path(),
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Module name; defaults to the folder name without 'cookiecutter-', or, for a folder "
            "named template, the project slug in cookiecutter.json.",
        ),
    ] = None,
    version: Annotated[str, typer.Option("--version", help="Version of the new module.")] = "0.1.0",
    summary: Annotated[
        str | None,
        typer.Option(
            "--summary", help="One-line summary; defaults to the project description in cookiecutter.json."
        ),
    ] = None,
    base: Annotated[
        str, typer.Option("--base", help="Base template versions the module supports.")
    ] = DEFAULT_BASE,
) -> None:
    """Convert a cookiecutter template into a module: copier questions, templates, tasks and module.toml."""
    request = ImportRequest(
        source=path, output_dir=output_dir, name=name, version=version, summary=summary, base=base
    )
    _print_result(import_cookiecutter(request))


def _print_result(result: ImportResult) -> None:
    out.print(f"[green]✓[/] Imported module [bold]{escape(result.name)}[/] into {escape(str(result.path))}")
    out.print("\n[bold]Converted[/]")
    for line in result.converted:
        out.print(f"  · {escape(line)}")
    if result.warnings:
        out.print("\n[bold yellow]Not converted exactly[/]")
        for line in result.warnings:
            out.print(f"  ! {escape(line)}")
    if result.needs_trust:
        out.print("\n[bold]Trust[/]: its tasks run only when you trust the module (--trust).")
    out.print(
        "\n[bold]Next steps[/] (put the module on the search path, or move it into the factory's modules/)"
    )
    for line in (
        f"export FACTORY_MODULES_PATH={result.path.parent}{os.pathsep}$FACTORY_MODULES_PATH",
        f"factory add {result.name}    # in a generated project",
    ):
        out.print(f"  {escape(line)}")
