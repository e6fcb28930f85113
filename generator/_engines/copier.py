"""The only module that talks to copier (imported lazily: copier costs ~0.4 s to import)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from generator.errors import AnswerValidationError, EngineError


def copy(
    src: str,
    ref: str | None,
    dst: Path,
    data: Mapping[str, Any],
    *,
    ask: bool,
    unsafe: bool = False,
    answers_file: str | None = None,
) -> None:
    """Render template ``src`` at ``ref`` into the folder ``dst``; prompt for the rest when ``ask``.

    Tasks and migrations run only when ``unsafe`` (the caller decided the template is trusted).
    ``answers_file`` names the answers file of a module rendered into a project: copier reads the
    previous answers from ``.copier-answers.yml`` unless told, and those are the project's, not the
    module's (a module question named like a project question would get the project's answer).
    """
    import copier  # lazy on purpose: costs ~0.4 s
    from copier.errors import CopierError

    try:
        with warnings.catch_warnings(), _untracked_destination():
            warnings.simplefilter("ignore")
            copier.run_copy(
                src,
                dst,
                data=dict(data),
                vcs_ref=ref,
                answers_file=answers_file,
                defaults=not ask,
                quiet=True,
                unsafe=unsafe,
                cleanup_on_error=True,
            )
    except ValueError as exc:  # copier's question validators raise ValueError with the template's text
        raise AnswerValidationError(_one_line(exc), "Change the answer named above.") from exc
    except CopierError as exc:
        raise EngineError(f"copier could not render {src}: {_one_line(exc)}", _hint_for(exc)) from exc


@contextlib.contextmanager
def _untracked_destination() -> Iterator[None]:
    """Skip copier's per-file git index sync while copying into a fresh staging folder.

    After writing each file, copier runs ``git config core.fileMode`` (and, when that is false,
    ``git ls-files``) to copy the executable bit into the index of files git already tracks. A
    brand-new project has no tracked files, so the sync can never change anything, yet it costs one
    git process per file (~70 ms for this template). Updates keep the sync: there it matters.
    """
    from copier._main import Worker  # private module, hence the getattr guard below

    name = "_sync_git_index_executable_bit"
    original = getattr(Worker, name, None)
    if original is None:  # a copier without the sync: nothing to skip
        yield
        return
    setattr(Worker, name, lambda *_args, **_kwargs: None)
    try:
        yield
    finally:
        setattr(Worker, name, original)


def update(project: Path, ref: str | None, *, answers_file: str | None = None, unsafe: bool = False) -> None:
    """Run ``copier update`` in ``project`` to ``ref`` keeping previous answers; conflicts stay inline."""
    import copier  # lazy on purpose: costs ~0.4 s
    from copier.errors import CopierError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copier.run_update(
                project,
                answers_file=answers_file,
                vcs_ref=ref,
                defaults=True,
                overwrite=True,
                skip_answered=True,
                conflict="inline",
                quiet=True,
                unsafe=unsafe,
            )
    except ValueError as exc:
        raise AnswerValidationError(_one_line(exc), "Fix the answer in .copier-answers.yml.") from exc
    except CopierError as exc:
        raise EngineError(f"copier update failed: {_one_line(exc)}", _hint_for(exc)) from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _hint_for(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "UnsafeTemplateError":
        return "It wants to run tasks or migrations: pass --trust if you trust its source."
    return "Check the template's copier.yml and files at that source, or report it with the message above."
