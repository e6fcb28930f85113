"""The released API of the contract, and the changes that would break its running clients.

``contract/api-v<N>.json`` is a snapshot of what clients of API v<N> may send (and the decisions they may
get back). A change is breaking when a request valid before can be refused now, or a response can carry
what clients do not know: an input removed or retyped, an optional input made required, a new required
input, a category removed, bounds or lengths narrowed, a pattern or validator added or changed, the set
of decisions changed. Adding an optional input, a category, or widening a bound is not.
"""

from __future__ import annotations

import math
from typing import Any

from ._schema import Contract, Input

_TEXT_RULES = ("pattern", "validator")


def snapshot(contract: Contract) -> dict[str, Any]:
    """What clients of ``contract.use_case.api_version`` rely on, as JSON-ready data."""
    return {
        "api_version": contract.use_case.api_version,
        "kind": contract.use_case.kind,
        "decisions": list(contract.decision_names),
        "inputs": {name: _input(spec) for name, spec in contract.request_inputs.items()},
    }


def _input(spec: Input) -> dict[str, Any]:
    data: dict[str, Any] = {"type": spec.type, "required": spec.required}
    fields = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "min_length", "max_length", *_TEXT_RULES)
    for key in fields:
        value = getattr(spec, key)
        if value is not None:
            data[key] = value
    if spec.categories is not None:
        data["categories"] = list(spec.categories)
    return data


def breaking_changes(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Each change from ``released`` to ``current`` that breaks a client of the released API."""
    found: list[str] = []
    if released.get("decisions") != current["decisions"]:
        found.append(f"the decisions changed from {released.get('decisions')} to {current['decisions']}")
    old_inputs: dict[str, Any] = released.get("inputs", {})
    for name, new in current["inputs"].items():
        old = old_inputs.get(name)
        if old is None:
            if new["required"]:
                found.append(f"new input {name!r} is required (make it optional with a default)")
            continue
        found.extend(f"input {name!r}: {change}" for change in _input_changes(old, new))
    found.extend(f"input {name!r} was removed" for name in old_inputs if name not in current["inputs"])
    return found


def _input_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if old["type"] != new["type"]:
        return [f"type changed from {old['type']} to {new['type']}"]
    found = []
    if new["required"] and not old["required"]:
        found.append("is now required")
    removed = [c for c in old.get("categories", []) if c not in new.get("categories", [])]
    if removed:
        found.append(f"categories removed: {', '.join(removed)}")
    if _lower(new) > _lower(old):
        found.append("its lower bound was raised")
    if _upper(new) < _upper(old):
        found.append("its upper bound was lowered")
    if new.get("min_length", 0) > old.get("min_length", 0):
        found.append("min_length was raised")
    if new.get("max_length", math.inf) < old.get("max_length", math.inf):
        found.append("max_length was lowered")
    found.extend(f"{rule} changed" for rule in _TEXT_RULES if new.get(rule) not in {None, old.get(rule)})
    return found


def _lower(spec: dict[str, Any]) -> tuple[float, int]:
    """Order lower bounds: (value, 1 if exclusive): a higher tuple admits fewer values."""
    if "minimum" in spec:
        return float(spec["minimum"]), 0
    if "exclusive_minimum" in spec:
        return float(spec["exclusive_minimum"]), 1
    return -math.inf, 0


def _upper(spec: dict[str, Any]) -> tuple[float, int]:
    """Order upper bounds: (value, -1 if exclusive): a lower tuple admits fewer values."""
    if "maximum" in spec:
        return float(spec["maximum"]), 0
    if "exclusive_maximum" in spec:
        return float(spec["exclusive_maximum"]), -1
    return math.inf, 0
