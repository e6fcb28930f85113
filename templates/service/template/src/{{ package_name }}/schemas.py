"""Request and response bodies of the API.

Strict types throughout (``false`` is not a number, ``"5"`` is not a number) and unknown fields are
refused. Personal data is declared once, here, with ``json_schema_extra={"x-personal": True}``:
:data:`PERSONAL_FIELDS` is derived from that mark: logs and metrics leave those fields out, and the audit
trail holds them only encrypted under the subject's own key (:mod:`.privacy`), so erasing it shreds them.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

EmploymentType = Literal["salaried", "self_employed", "business_owner", "unemployed", "retired"]
Region = Literal["north", "south", "east", "west", "central", "northeast"]
AgeBand = Literal["18-25", "26-35", "36-45", "46-60", "60+"]
Decision = Literal["approve", "refer", "decline"]

_PERSONAL: dict[str, JsonValue] = {"x-personal": True}
_MAX_NAME = 200
# Bidirectional overrides and isolates reorder how text is displayed ("Trojan Source"); joiners (ZWJ,
# ZWNJ) stay allowed because Devanagari, Arabic and other scripts need them.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _check_name(value: str) -> str:
    """Keep the name exactly as sent (no normalisation), but refuse what cannot be a name."""
    if not value.strip():
        msg = "must contain a visible character"
        raise ValueError(msg)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in value):
        msg = "must not contain control or bidirectional-override characters"
        raise ValueError(msg)
    return value


def normalise_phone(value: str, default_region: str = "IN") -> str:
    """Return the number in E.164 (``+919876543210``); bare 10-digit and 0-prefixed numbers are Indian."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        msg = "is not a phone number (e.g. +91 98765 43210)"
        raise ValueError(msg) from exc
    if not phonenumbers.is_valid_number(parsed):
        msg = "is not a valid phone number (e.g. +91 98765 43210)"
        raise ValueError(msg)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


FullName = Annotated[
    str,
    Field(min_length=1, max_length=_MAX_NAME, json_schema_extra=_PERSONAL, examples=["राजेश कुमार"]),
    AfterValidator(_check_name),
]
Phone = Annotated[
    str,
    Field(min_length=5, max_length=32, pattern=r"^[0-9+()\-. ]+$", json_schema_extra=_PERSONAL),
    AfterValidator(normalise_phone),
]


class Applicant(BaseModel):
    """One loan application to score."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    applicant_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", json_schema_extra=_PERSONAL)
    full_name: FullName
    phone: Phone
    monthly_income: float = Field(gt=0, le=100_000_000, description="Net monthly income in INR.")
    monthly_debt_payments: float = Field(ge=0, le=100_000_000, description="Existing EMIs per month, INR.")
    credit_history_months: int = Field(ge=0, le=600)
    past_delinquencies: int = Field(ge=0, le=100)
    employment_type: EmploymentType
    region: Region
    age_band: AgeBand
    loan_amount: float = Field(gt=0, le=1_000_000_000, description="Requested amount in INR.")
    loan_tenure_months: int = Field(ge=1, le=480)
    politically_exposed: bool = Field(
        default=False,
        json_schema_extra=_PERSONAL,
        description="A politically exposed person: policy sends the application to human review.",
    )


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
    score: int = Field(ge=300, le=900, description="300 (worst) to 900 (best): 900 - 600 x probability.")
    probability_of_default: float = Field(ge=0, le=1)
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
        "audit_write_failed); null for an automated decision.",
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


Reasoning = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
"""Free text a person writes (a reviewer's reason, an appeal's grounds): recorded as is, so no personal data."""


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
