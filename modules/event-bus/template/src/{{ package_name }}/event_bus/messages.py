"""The messages on the bus: a transaction to score in, a decision out.

A transaction carries an ``idempotency_key`` chosen by its producer: the same key sent twice (or
redelivered) is scored once. Decisions carry the key back, so their consumers can deduplicate too
(delivery is at least once end to end).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..schemas import Applicant, ScoreResponse

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class PoisonMessageError(ValueError):
    """The message can never be scored (not JSON, or not a valid transaction): it goes to the dead letter."""


class Transaction(BaseModel):
    """One loan application to score, as a producer publishes it."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    idempotency_key: str = Field(pattern=KEY_PATTERN, description="Unique per transaction, kept on redelivery.")
    applicant: Applicant


class DecisionEvent(BaseModel):
    """What the consumer publishes for each transaction (no personal data: the response carries none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str
    decision: ScoreResponse


def parse_transaction(body: bytes) -> Transaction:
    """The transaction in ``body``; :class:`PoisonMessageError` says what is wrong (never the values)."""
    try:
        return Transaction.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            msg = "not valid JSON"
        else:
            fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['type']}" for e in errors)
            msg = f"not a valid transaction: {fields}"
        raise PoisonMessageError(msg) from None
