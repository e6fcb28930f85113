"""Which modules to apply, in which order: pure logic over manifests (no files, no processes).

``requires`` pulls modules in first (depth-first, in the order listed, so the result is stable);
``conflicts`` are checked both ways against the modules requested and those already in the project;
a module whose ``base`` does not accept the project's template version is refused.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._manifest import ModuleInfo
from .errors import ModuleConflictError, UnknownModuleError, UnsupportedBaseError


@dataclass(frozen=True)
class Plan:
    """Modules to apply in order; ``already`` lists requested ones the project has (nothing to do)."""

    steps: tuple[str, ...]
    already: tuple[str, ...]


def resolve_plan(
    requested: Sequence[str],
    catalog: Mapping[str, ModuleInfo],
    installed: Sequence[str] = (),
    base: tuple[str, str] = ("service", "0"),
) -> Plan:
    """Order ``requested`` modules and their requirements; raise a :class:`UserError` for bad requests."""
    order = dependency_order(requested, catalog, installed)
    _check_conflicts(order, catalog, installed)
    project = f"{base[0]} {base[1]}"
    for name in order:
        if not catalog[name].supports(*base):
            raise UnsupportedBaseError(
                f"module {name} supports {catalog[name].base}, but the project is {project}",
                f"Update the project first (`factory update`) or use a {name} release made for {project}.",
            )
    already = tuple(n for n in requested if n in installed)
    return Plan(tuple(order), already)


def dependency_order(
    requested: Sequence[str], catalog: Mapping[str, ModuleInfo], installed: Sequence[str] = ()
) -> list[str]:
    """``requested`` and the modules they require (unless installed), each after what it requires."""
    order: list[str] = []
    for name in requested:
        _visit(name, catalog, set(installed), order, chain=())
    return order


def _visit(
    name: str,
    catalog: Mapping[str, ModuleInfo],
    installed: set[str],
    order: list[str],
    chain: tuple[str, ...],
) -> None:
    if name in chain:
        cycle = " -> ".join((*chain, name))
        raise ModuleConflictError(
            f"modules require each other in a cycle: {cycle}", "Fix the modules' requires."
        )
    if name in installed or name in order:
        return
    if name not in catalog:
        raise _unknown(name, catalog, chain)
    for required in catalog[name].requires:
        _visit(required, catalog, installed, order, (*chain, name))
    order.append(name)


def _unknown(name: str, catalog: Mapping[str, ModuleInfo], chain: tuple[str, ...]) -> UnknownModuleError:
    close = difflib.get_close_matches(name, sorted(catalog), n=3)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    via = f" (required by {chain[-1]})" if chain else ""
    return UnknownModuleError(
        f"no module named {name!r}{via}", f"{hint}Run `factory list` to see the modules."
    )


def _check_conflicts(
    order: Sequence[str], catalog: Mapping[str, ModuleInfo], installed: Sequence[str]
) -> None:
    present = [*installed, *order]
    for name in order:
        for other in present:
            if other == name:
                continue
            declared = other in catalog[name].conflicts or (
                other in catalog and name in catalog[other].conflicts
            )
            if declared:
                raise ModuleConflictError(
                    f"module {name} conflicts with {other}",
                    f"Remove {other} first (`factory remove {other}`) or choose one of the two.",
                )
