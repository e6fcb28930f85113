"""Project names: what the factory accepts, and a suggestion when it does not."""

from __future__ import annotations

import keyword
import re
import sys

from .errors import InvalidNameError

MAX_NAME_LENGTH = 64
_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RULE = "use lowercase letters, digits and single hyphens, starting with a letter"


def package_name(project_name: str) -> str:
    """The Python package name of a project: hyphens become underscores."""
    return project_name.replace("-", "_")


def suggest(name: str) -> str:
    """A valid name close to ``name`` ('Loan Scoring!' -> 'loan-scoring'), or '' when none is close."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    slug = re.sub(r"^[0-9-]+", "", slug)[:MAX_NAME_LENGTH].strip("-")
    return slug if _PATTERN.match(slug) and not _reserved(slug) else ""


def _reserved(name: str) -> str:
    pkg = package_name(name)
    if keyword.iskeyword(pkg) or keyword.issoftkeyword(pkg):
        return f"{pkg!r} is a Python keyword"
    if pkg in sys.stdlib_module_names:
        return f"{pkg!r} would shadow the standard library module of that name"
    return ""


def validate_project_name(name: str) -> str:
    """Return ``name`` if it is a valid project name, else raise :class:`InvalidNameError`."""
    if not name.strip():
        raise InvalidNameError("the project name is empty", "Give a name such as loan-scoring.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"the project name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}",
            "Choose a shorter name such as loan-scoring.",
        )
    reason = "" if _PATTERN.match(name) else _RULE
    reason = reason or _reserved(name)
    if reason:
        alt = suggest(name)
        hint = f"Try {alt!r}." if alt and alt != name else "Choose a name such as loan-scoring."
        raise InvalidNameError(f"{name!r} is not a valid project name: {reason}", hint)
    return name
