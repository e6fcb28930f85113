"""The examples in `factory --help` and every command's help name real modules, questions and options."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any

import typer.main

from generator._answers import load_questions, parse_data_options, validate_answers
from generator._catalog import find_modules, get_template
from generator._modules import plan_modules
from generator.cli import app

Command = Any  # typer's own (vendored) click command; groups hold their subcommands in `commands`


def examples() -> Iterator[tuple[str, Command, list[str]]]:
    """Every `factory ...` line of every help text: (the line, the command it runs, that command's args)."""
    root = typer.main.get_command(app)
    stack: list[Command] = [root]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for text in (command.epilog or "", command.help or ""):
            for line in text.splitlines():
                if line.strip().startswith("factory "):
                    words = shlex.split(line, comments=True)
                    words = words[: words.index("|")] if "|" in words else words  # a pipe to another tool
                    yield line.strip(), *_resolve(root, words[1:])


def _resolve(command: Command, args: list[str]) -> tuple[Command, list[str]]:
    while args and args[0] in getattr(command, "commands", {}):
        command, args = command.commands[args[0]], args[1:]
    return command, args


def parse(command: Command, args: list[str]) -> dict[str, Any]:
    """The parameters the example passes, parsed by click itself (an unknown option fails here)."""
    with command.make_context(command.name or "factory", list(args)) as ctx:
        return dict(ctx.params)


def test_every_example_parses_and_names_real_modules_and_questions() -> None:
    """Unknown options fail in click's parser; unknown modules, questions or choices in the factory's plan."""
    template = get_template("service")
    base_questions = load_questions(template.path)
    catalog = sorted(find_modules())
    seen = set()
    for line, command, args in examples():
        params = parse(command, args)
        data = parse_data_options(params.get("data") or [])
        if command.name == "remove":
            assert params["module"] in catalog, f"{line!r}: no module {params['module']!r}"
        if command.name == "new" and "template" in params:  # `factory new`, not `factory module new`
            ours = {k: v for k, v in data.items() if k in base_questions or not params["module"]}
            validate_answers(ours, base_questions)  # without modules, every answer is the template's
            data = {k: v for k, v in data.items() if k not in ours}
        modules = params.get("modules") or params.get("module") if command.name in {"add", "new"} else None
        if modules:
            plan = plan_modules(modules, (template.name, template.version), data=data)
            assert set(modules) <= set(plan.steps), line
        seen.add(command.name)
    assert {"add", "remove", "new"} <= seen
