"""``factory list``."""

from __future__ import annotations

from typing import Annotated

import typer

from generator import list_catalog

from ._errors import handles_errors
from ._output import print_catalog

EXAMPLES = """Examples:

  factory list

  factory list --json | jq '.[] | select(.kind == "module")'
"""


@handles_errors
def list_(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the templates and modules this factory can use, with their versions."""
    print_catalog(list_catalog(), as_json=json_output)
