"""Options several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Trust = Annotated[bool, typer.Option("--trust", help="Let untrusted modules run their tasks and migrations.")]
