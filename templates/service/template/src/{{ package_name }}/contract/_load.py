"""Read ``usecase.toml``: TOML, then the pydantic models, then the checks across tables.

Every problem is reported as one line naming the file, the line and the key, e.g.
``usecase.toml:42: inputs.region.categories: categories must be unique``. ``tomllib`` keeps no positions,
so :func:`key_lines` maps each key path to the line that defines it (table headers, ``key = value``
lines, dotted keys and the keys of one-line inline tables).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from ._schema import Contract, Problem, cross_check

DEFAULT_PATH = Path("usecase.toml")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")
_INLINE_KEY = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")


class ContractError(Exception):
    """The contract cannot be read or is invalid; the message is one line naming the file, line and fix."""


def load_contract(path: Path = DEFAULT_PATH) -> Contract:
    """Read and validate the contract at ``path``; raises :class:`ContractError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read the use-case contract {path}: {exc.strerror}; run from the project root or pass its path"
        raise ContractError(msg) from exc
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_contract(text, str(path))


def parse_contract(text: str, source: str = str(DEFAULT_PATH)) -> Contract:
    """Validate the contract ``text`` (``source`` names it in errors); raises :class:`ContractError`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = match.group(1) if match else "?"
        reason = re.sub(r"\s*\(at line .*\)$", "", str(exc))
        raise ContractError(f"{source}:{line}: not valid TOML: {reason}") from exc
    lines = key_lines(text)
    try:
        contract = Contract.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors()
        problems: list[Problem] = [(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in errors]
        raise ContractError(_describe(problems, lines, source)) from exc
    problems = cross_check(contract)
    if problems:
        raise ContractError(_describe(problems, lines, source))
    return contract


def _describe(problems: list[Problem], lines: dict[tuple[str, ...], int], source: str) -> str:
    loc, message = problems[0]
    key = ".".join(str(part) for part in loc) or "(top level)"
    more = f" ({len(problems) - 1} more problem{'s' * (len(problems) > 2)} after this one)" if len(problems) > 1 else ""  # noqa: PLR2004
    return f"{source}:{line_of(loc, lines)}: {key}: {message}{more}"


def line_of(loc: tuple[str | int, ...], lines: dict[tuple[str, ...], int]) -> int | str:
    """The line of the longest prefix of ``loc`` that the file defines (``?`` if none)."""
    parts = tuple(str(p) for p in loc if isinstance(p, str))
    for end in range(len(parts), 0, -1):
        if parts[:end] in lines:
            return lines[parts[:end]]
    return "?"


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each key path of the TOML ``text`` (tables and keys) with the 1-based line that defines it."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and "=" not in line.split("#", 1)[0]:
            table = _split(header.group(1))
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        path = (*table, *_split(key.group(1)))
        found.setdefault(path, number)
        for inner in _INLINE_KEY.findall(line[key.end() :]):
            found.setdefault((*path, inner), number)
    return found


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted))
