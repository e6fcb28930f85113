"""Everything the CLI prints (the only module that writes to the terminal)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator import (
    AddResult,
    CatalogEntry,
    CheckResult,
    NewResult,
    Published,
    RemoveResult,
    StatusResult,
    UpdateResult,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_KIND_STYLE = {
    "new": "green",
    "updated": "cyan",
    "merged": "yellow",
    "conflict": "bold red",
    "removed": "magenta",
}


def print_error(message: str, hint: str) -> None:
    """One line naming the problem, one saying how to fix it."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        err.print(f"[dim]hint:[/] {escape(hint)}")


@contextmanager
def progress(*, spinner: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text the caller sets step by step; silent when not on a terminal.

    With ``spinner=False`` (while copier asks questions, which a spinner would overwrite) each step is
    printed as a line instead.
    """
    if not err.is_terminal:
        yield lambda _text: None
        return
    if not spinner:
        yield lambda text: err.print(f"[dim]· {escape(text)}[/]")
        return
    with err.status("Starting…") as status:
        yield lambda text: status.update(escape(text) + "…")


def print_new(result: NewResult, cwd: Path) -> None:
    """The created project and the next steps."""
    try:
        shown = result.path.relative_to(cwd)
    except ValueError:
        shown = result.path
    out.print(
        f"[green]✓[/] Created [bold]{escape(str(shown))}[/] from template "
        f"{result.template} {result.version or ''}".rstrip()
    )
    for module in result.modules:
        out.print(f"  with module [bold]{escape(module)}[/]")
    port = result.answers.get("port", 8000)
    out.print("\n[bold]Next steps[/]")
    for line in (
        f"cd {shown}",
        "make install      # virtualenv in .venv with the pinned tools",
        "make check        # lint, type check, tests",
        f"make run          # serve on http://127.0.0.1:{port} (docs at /docs)",
        "factory update    # later: pull template upgrades into this project",
    ):
        out.print(f"  {escape(line)}")


_FIXED = ("name", "kind", "version")


def print_catalog(entries: Sequence[CatalogEntry], *, as_json: bool) -> None:
    """``factory list``: one line per template or module, or JSON."""
    if as_json:
        out.print_json(json.dumps([asdict(e) for e in entries]))
        return
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    widths = {column: max([len(column), *(len(getattr(e, column)) for e in entries)]) for column in _FIXED}
    for column, width in widths.items():  # never shortened; the summary gives way on narrow terminals
        table.add_column(column, no_wrap=True, min_width=width)
    room = out.width - sum(widths.values()) - 2 * len(widths)  # one space of padding each side of a column
    table.add_column("summary", no_wrap=True, overflow="ellipsis", max_width=max(room, 10))
    for e in entries:
        table.add_row(e.name, e.kind, e.version, e.summary)
    out.print(table)


def print_update(result: UpdateResult) -> None:
    """Per-file changes of an update, then what to do next."""
    if result.up_to_date:
        out.print(f"[green]✓[/] {result.project.name} is up to date (template {result.from_version}).")
        return
    verb = "would update" if result.pretend else "updated"
    if result.from_version != result.to_version:
        out.print(f"{result.project.name}: {verb} template {result.from_version} → {result.to_version}")
    for module in result.modules:
        out.print(
            f"{result.project.name}: {verb} module {module.name} {module.from_version} → {module.to_version}"
        )
    for change in result.changes:
        style = _KIND_STYLE[change.kind]
        out.print(f"  [{style}]{change.kind:<8}[/] {escape(change.path)}")
    if result.pretend:
        out.print("[dim]Preview only: nothing in the project was changed.[/]")
    elif not result.conflicts:
        out.print("Review with `git diff`, run `make check`, then commit.")


def print_add(result: AddResult) -> None:
    """The modules added, their files and dependencies, then what to do next."""
    for name in result.already:
        out.print(f"[dim]·[/] {escape(name)} is already in {escape(result.project.name)}")
    for module in result.applied:
        out.print(f"[green]✓[/] Added [bold]{escape(module.name)}[/] {module.version}")
        for rel in module.files:
            out.print(f"  [green]new[/]      {escape(rel)}")
        for dep in module.dependencies:
            out.print(f"  [cyan]depends[/]  {escape(dep)}")
    if result.applied:
        out.print("Run `make install check`, review with `git status`, then commit.")


def print_remove(result: RemoveResult) -> None:
    """The files removed and kept, and the dependencies taken out."""
    out.print(f"[green]✓[/] Removed [bold]{escape(result.module)}[/] from {escape(result.project.name)}")
    for rel in result.removed:
        out.print(f"  [magenta]removed[/]  {escape(rel)}")
    for dep in result.dependencies:
        out.print(f"  [magenta]dropped[/]  {escape(dep)}")
    for rel in result.kept:
        out.print(f"  [yellow]kept[/]     {escape(rel)} (edited by you, so kept)")
    out.print("Run `make install check`, review with `git status`, then commit.")


def print_status(result: StatusResult, *, as_json: bool) -> None:
    """``factory status``: one line per component, then conflicts."""
    if as_json:
        payload = {
            "project": str(result.project),
            "components": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "version": c.version,
                    "newest": c.newest,
                    "outdated": c.outdated,
                }
                for c in result.components
            ],
            "conflicts": result.conflicts,
        }
        out.print_json(json.dumps(payload))
        return
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("name", "kind", "version", "newest", ""):
        table.add_column(column, no_wrap=True)
    for c in result.components:
        note = (
            "[yellow]update available[/]"
            if c.outdated
            else ("[green]current[/]" if c.newest else "[dim]unknown[/]")
        )
        table.add_row(c.name, c.kind, c.version or "?", c.newest or "?", note)
    out.print(table)
    for rel in result.conflicts:
        out.print(f"[bold red]conflict[/] {escape(rel)} holds <<<<<<< / >>>>>>> markers")
    if result.outdated:
        out.print("Run `factory update` to upgrade.")


def print_new_module(result: NewResult, cwd: Path) -> None:
    """The created module and how to try it."""
    try:
        shown = result.path.relative_to(cwd)
    except ValueError:
        shown = result.path
    out.print(f"[green]✓[/] Created module [bold]{escape(str(shown))}[/]")
    out.print("\n[bold]Next steps[/]")
    for line in (
        f"factory module check {shown}     # render it into fresh projects and run their tests",
        f"factory module publish {shown}   # then everyone using the registry can `factory add` it",
    ):
        out.print(f"  {escape(line)}")


def print_check(result: CheckResult) -> None:
    """One line per generated test project, with the output of failures."""
    for run in result.runs:
        mark = "[green]✓[/]" if run.ok else "[bold red]✗[/]"
        out.print(
            f"{mark} {escape(result.module)} {result.version}: preset {escape(run.preset)}, {run.scenario}"
        )
        if not run.ok:
            out.print(escape(run.output), style="dim")
    if result.ok:
        out.print(f"[green]All {len(result.runs)} check(s) passed.[/]")


def print_published(published: Published) -> None:
    """Where the version was recorded."""
    out.print(
        f"[green]✓[/] Published [bold]{escape(published.name)}[/] {published.version} "
        f"to {escape(published.registry)} ({published.commit[:12]})"
    )
