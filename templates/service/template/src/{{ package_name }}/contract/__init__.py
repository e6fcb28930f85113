"""The use-case contract: ``usecase.toml``, the single source of what this service decides.

Public API (what the rest of the service, modules and templates use):

- :data:`CONTRACT`: the validated contract the service was generated from (``_generated.SOURCE``);
- :class:`Contract` and its parts, :func:`load_contract` / :func:`parse_contract` (errors name file and line);
- :data:`ScoringRequest` (the typed request model, generated) and :data:`Decision` (its decisions);
- :func:`derived_values` and :class:`DerivationError`: derived features, always finite;
- :mod:`.validators`: identifiers (phone_e164, pan, aadhaar, ifsc, email, person_name);
- :mod:`.synthetic`: :func:`~.synthetic.sample_records`, seeded requests valid for the contract;
- :mod:`.commands`: ``contract generate`` and ``contract check``.
"""

from __future__ import annotations

from ._derive import DerivationError, derived_values
from ._expr import ExpressionError, NotFinite
from ._generated import SOURCE, Decision, ScoringRequest
from ._load import DEFAULT_PATH, ContractError, load_contract, parse_contract
from ._schema import Contract, DecisionSpec, Derived, Input, ModelSpec, Outcome, ReasonSpec, value_problem

CONTRACT: Contract = parse_contract(SOURCE, f"{DEFAULT_PATH} (as generated)")

__all__ = [
    "CONTRACT",
    "DEFAULT_PATH",
    "Contract",
    "ContractError",
    "Decision",
    "DecisionSpec",
    "DerivationError",
    "Derived",
    "ExpressionError",
    "Input",
    "ModelSpec",
    "NotFinite",
    "Outcome",
    "ReasonSpec",
    "ScoringRequest",
    "derived_values",
    "load_contract",
    "parse_contract",
    "value_problem",
]
