"""The examples in `factory --help` and every command's help name real modules, questions and options."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from typing import Any

import typer.main

from generator._answers import load_questions, parse_data_options, validate_answers
from generator._catalog import find_modules, get_template
from generator._modules import plan_modules
from generator.cli import app
from tests.conftest import REPO_ROOT

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


def factory_options() -> set[str]:
    """Every long option of every factory command."""
    options: set[str] = set()
    stack: list[Command] = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            options.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
    return options | {"--help"}


def _git_arguments(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are arguments of a git command (``_git.run([...])``), not user advice."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if isinstance(node.func.value, ast.Name) and node.func.value.id == "_git":
            found.update(id(n) for arg in node.args for n in ast.walk(arg))
    return found


def test_every_option_the_factory_tells_users_to_pass_exists() -> None:
    """Hints and messages (e.g. "run again with --verbose") name only options the CLI has."""
    known = factory_options()
    wrong: list[str] = []
    for path in sorted((REPO_ROOT / "generator").rglob("*.py")):
        if path.name == "_git.py":  # git's own arguments
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _git_arguments(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                options = re.findall(r"(?<![\w-])--[a-z][a-z-]*", node.value)
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                wrong.extend(f"{where}: {option}" for option in options if option not in known)
    assert wrong == []
