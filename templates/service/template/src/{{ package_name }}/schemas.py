"""Request and response bodies of the API.

The request model (:data:`Applicant`) is generated from the use-case contract ``usecase.toml``: strict
types throughout (``false`` is not a number, ``"5"`` is not a number) and unknown fields are refused.
Personal data is declared once, there (``personal = true``, ``x-personal`` in the schema):
:data:`PERSONAL_FIELDS` is derived from that mark: logs and metrics leave those fields out, and the audit
trail holds them only encrypted under the subject's own key (:mod:`.privacy`), so erasing it shreds them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from .contract import Decision as Decision  # noqa: PLC0414 -- re-exported: modules import it from here
from .contract import ScoringRequest
from .contract.validators import phone_e164

Applicant = ScoringRequest
"""The request model, generated from ``usecase.toml`` (``contract/_generated.py``)."""
normalise_phone = phone_e164


class Reason(BaseModel):
    """One reason code: a model feature, its signed contribution and a sentence for adverse-action notices."""

    feature: str
    value: float | str = Field(description="The feature's value as the model saw it.")
    contribution: float = Field(description="Signed contribution to the log-odds of default.")
    effect: Literal["raises_risk", "lowers_risk"]
    sentence: str


class Explanation(BaseModel):
    """Exact for the linear model: ``base_log_odds`` + the sum of ``contributions`` = ``log_odds``."""

    method: Literal["linear_log_odds", "tree_shap", "interventional_shapley"] = "linear_log_odds"
    base_log_odds: float = Field(description="Log-odds of default of the typical (average) training applicant.")
    log_odds: float = Field(description="The model's log-odds of default for this applicant.")
    contributions: dict[str, float] = Field(description="Every model feature's signed contribution.")
    reasons: list[Reason] = Field(description="The features with the largest contributions, largest first.")


class ScoreResponse(BaseModel):
    """The outcome of scoring one applicant."""

    request_id: str
    decision_id: str | None = Field(
        default=None, description="Id of the audit record (``GET /v1/decisions/{id}``); null when not recorded."
    )
    score: int | None = Field(
        ge=300, le=900, description="300 (worst) to 900 (best): 900 - 600 x probability; null when the model failed."
    )
    probability_of_default: float | None = Field(
        ge=0,
        le=1,
        description="Null when the model could not score (`referral`: prediction_failed or decision_failed).",
    )
    decision: Decision
    model_name: str
    model_version: str
    audit_recorded: bool = Field(
        default=False,
        description="True once the decision is durably in the audit trail. False when the trail is disabled "
        "by configuration, or when the write failed: the decision is then always `refer` (human review), never "
        "an automated approval or decline.",
    )
    explanation: Explanation | None = Field(default=None, description="Reason codes (null when disabled).")
    referral: str | None = Field(
        default=None,
        description="Why the case went to human review (grey_zone, policy:<flag>, explanation_failed, "
        "prediction_failed, decision_failed, audit_write_failed, kill_switch); null for an automated decision.",
    )
    fallback_rule: str | None = Field(
        default=None,
        description="While the kill switch is engaged in fallback_rules mode: the documented rule that decided "
        "(the model did not); null otherwise.",
    )
    disclosure: str = Field(
        default="", description="Tell the applicant: an automated model was used, and how to ask for human review."
    )


class SubjectView(BaseModel):
    """The data subject of a decision: its reference, and its personal data for those who may read it."""

    ref: str = Field(description="The subject reference in the audit trail (a random UUID, not the applicant id).")
    status: Literal["available", "erased", "withheld", "unavailable"] = Field(
        description="available: decrypted below; erased: the subject's key was deleted (right to erasure), the "
        "data cannot be read by anyone; withheld: the caller's role may not read it (reviewer and auditor may); "
        "unavailable: the subject key store is not open (see the service log)."
    )
    personal: dict[str, JsonValue] | None = Field(
        default=None, description="The fields marked x-personal as sent, while available."
    )


class DecisionRecord(BaseModel):
    """``GET /v1/decisions/{id}``: a decision as the audit trail holds it, with its chain hashes."""

    decision_id: str
    recorded_at: str
    record_hash: str
    previous_hash: str
    decision: dict[str, JsonValue] = Field(
        description="The decision record as written: personal data only sealed, in `subject.personal`."
    )
    review_status: Literal["none", "pending", "reviewed"] = Field(
        default="none", description="Whether the decision waits in, or has been through, human review."
    )
    reviews: list[dict[str, JsonValue]] = Field(
        default_factory=list, description="Every review and appeal of the decision, as audited, oldest first."
    )
    subject: SubjectView | None = Field(
        default=None, description="Whose decision it is (none for records without personal data, e.g. batch)."
    )


# What "trimmed" removes at both ends, spelled out so that the published pattern and the check agree.
# Python's whitespace (str.isspace) and the byte order mark.
_SPACES = "".join(map(chr, (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B))))
_SPACES += "".join(map(chr, (0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF)))
_SPACE_CLASS = "".join(f"\\u{ord(c):04x}" for c in _SPACES)
REASONING_PATTERN = f"^[{_SPACE_CLASS}]*[^{_SPACE_CLASS}][\\s\\S]+[^{_SPACE_CLASS}][{_SPACE_CLASS}]*$"
"""At least 3 characters once leading and trailing spaces (tabs, line breaks, Unicode spaces) are trimmed."""


def _trim(value: str) -> str:
    if not re.fullmatch(REASONING_PATTERN, value):
        msg = "must have at least 3 characters besides leading and trailing spaces"
        raise ValueError(msg)
    return value.strip(_SPACES)


Reasoning = Annotated[
    str,
    Field(
        max_length=2000,
        json_schema_extra={"pattern": REASONING_PATTERN},
        description="At least 3 characters once trimmed of leading and trailing spaces; at most 2000 as sent. "
        "Recorded trimmed.",
    ),
    AfterValidator(_trim),
]
"""Free text a person writes (a reviewer's reason, an appeal's grounds): recorded trimmed, so no personal data."""


class ReviewRequest(BaseModel):
    """``POST /v1/decisions/{id}/review``: the reviewer's final decision and why."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "decline"]
    reason: Reasoning = Field(description="Mandatory: why (recorded in the audit trail).")


class AppealRequest(BaseModel):
    """``POST /v1/decisions/{id}/appeal``: the applicant asks for a human to look at the decision."""

    model_config = ConfigDict(extra="forbid")

    reason: Reasoning = Field(description="The applicant's grounds, as given.")


class ReviewAction(BaseModel):
    """A review or an appeal as recorded: the audit record that holds it and its content."""

    decision_id: str
    record_id: str = Field(description="Id of the audit record of this action.")
    action: Literal["review", "appeal"]
    by: str = Field(description="The authenticated caller (key name) who acted.")
    body: dict[str, JsonValue]


class ReviewCase(BaseModel):
    """``GET /v1/reviews``: one case waiting for a reviewer."""

    case_id: str = Field(description="The decision id, or the request id when the decision was not recorded.")
    decision_id: str | None
    request_id: str
    reason: str = Field(description="grey_zone, policy:<flag>, explanation_failed, audit_write_failed or appeal.")
    queued_at: str
    decision: dict[str, JsonValue] = Field(description="The decision as recorded (no personal data).")


class Readiness(BaseModel):
    """``GET /readyz``: ready only when the model is loaded and every required integration's check passes."""

    status: Literal["ready", "not_ready"]
    model: str | None = None
    model_version: str | None = None
    checks: dict[str, str] = Field(
        default_factory=dict, description="Each check: 'ok', why it failed, or 'degraded: <why>' if optional."
    )


class FieldError(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: a stable error code, a message, the request id and, for 422, the fields."""

    error: str
    message: str
    request_id: str | None = None
    fields: list[FieldError] = Field(default_factory=list)


def personal_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of ``model`` marked personal."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("x-personal")
    )


PERSONAL_FIELDS = personal_fields(Applicant)
