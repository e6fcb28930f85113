"""The single error boundary: factory errors become a message on stderr and an exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from generator.errors import UserError

from ._output import print_error

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INTERRUPTED = 130


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command: a :class:`UserError` prints its message and hint and exits with its code.

    Anything else is a bug and keeps its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            print_error(exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt as exc:
            print_error("interrupted", "Nothing was written; the target folder is as it was.")
            raise typer.Exit(EXIT_INTERRUPTED) from exc

    return wrapper
