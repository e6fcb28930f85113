"""Generated from usecase.toml by `contract generate` (`make contract`): do not edit by hand.

The request model of the use case "Retail loan credit scoring" (API v1), its category and decision types, and the
contract's text (``SOURCE``), which the service validates and serves from at start-up.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ._derive import require_finite
from .validators import VALIDATORS

SOURCE = r"""# The use-case contract: the single source of what this service decides (docs/use-case-contract.md).
# After editing it run `make contract` (writes src/<package>/contract/_generated.py and, when the change
# keeps running clients working, refreshes contract/api-v<N>.json); `make check` fails while either is stale
# or while a change would break clients of API v<N> (then raise api_version).

[use_case]
kind = "credit-scoring"
name = "Retail loan credit scoring"
api_version = 1
description = "Estimate the probability that a retail loan applicant in India defaults, to approve, decline or refer the application to a human credit officer."
request_model = "Applicant"
request_description = "One loan application to score. Its amounts must give derived features ([derived]) that are finite and within their bounds: a 422 names the inputs otherwise (an income of 5e-324 with any EMIs is refused)."

# ---------------------------------------------------------------------------------------------------
# Inputs: what a client sends (and, with in_request = false, what only training and monitoring data hold).
# personal: never in logs or metric labels, sealed in the audit trail under the subject's key, erasable.
# protected: measured for fairness, never a model feature.

[inputs.applicant_id]
type = "text"
description = "The lender's id of the applicant (the data subject)."
pattern = '^[A-Za-z0-9_-]{1,64}$'
personal = true
examples = ["APP-2026-000123"]

[inputs.full_name]
type = "text"
description = "The applicant's name, kept exactly as sent (any script)."
min_length = 1
max_length = 200
validator = "person_name"
personal = true
examples = ["राजेश कुमार"]

[inputs.phone]
type = "text"
description = "A number the phone numbering plan assigns (checked with libphonenumber, not only this pattern): international with + and the country code (+44 20 7946 0958), or Indian without it (98765 43210, 098765 43210). Digits, spaces, + ( ) - . only. Stored as E.164 (+919876543210)."
min_length = 5
max_length = 32
pattern = '^[0-9+()\-. ]+$'
validator = "phone_e164"
personal = true
examples = ["+91 98765 43210"]

[inputs.monthly_income]
type = "number"
unit = "INR"
description = "Net monthly income in INR."
exclusive_minimum = 0
maximum = 100_000_000
examples = [85000]

[inputs.monthly_debt_payments]
type = "number"
unit = "INR"
description = "Existing EMIs per month, INR."
minimum = 0
maximum = 100_000_000
examples = [12000]

[inputs.credit_history_months]
type = "integer"
unit = "months"
description = "Length of the bureau credit history in months."
minimum = 0
maximum = 600
examples = [72]

[inputs.past_delinquencies]
type = "integer"
description = "Number of past delinquencies on record."
minimum = 0
maximum = 100
examples = [0]

[inputs.employment_type]
type = "category"
description = "Salaried, self-employed, business owner, unemployed or retired."
categories = ["salaried", "self_employed", "business_owner", "unemployed", "retired"]
examples = ["salaried"]

[inputs.region]
type = "category"
description = "Region of India the applicant lives in."
categories = ["north", "south", "east", "west", "central", "northeast"]
examples = ["south"]

[inputs.age_band]
type = "category"
description = "Age band of the applicant."
categories = ["18-25", "26-35", "36-45", "46-60", "60+"]
examples = ["36-45"]

[inputs.loan_amount]
type = "number"
unit = "INR"
description = "Requested amount in INR."
exclusive_minimum = 0
maximum = 1_000_000_000
examples = [600000]

[inputs.loan_tenure_months]
type = "integer"
unit = "months"
description = "Requested tenure in months."
minimum = 1
maximum = 480
examples = [36]

[inputs.politically_exposed]
type = "boolean"
description = "A politically exposed person: policy sends the application to human review."
required = false
default = false
personal = true
examples = [false]

[inputs.gender]
type = "category"
description = "Gender, as recorded in the training and monitoring data: measured for fairness only."
categories = ["female", "male"]
protected = true
in_request = false

# ---------------------------------------------------------------------------------------------------
# Derived features: named expressions over inputs (+ - * /, numbers, input names and log1p, log, exp,
# expm1, sqrt, abs, min, max). Computed in one place for training and serving; a request whose inputs
# make one of them infinite, undefined or outside its optional minimum/maximum is refused with 422 naming
# those inputs. The bounds keep every value the model sees finite after scaling (a debt a million times
# the income is not a loan application: refused, never a 500).

[derived.log_monthly_income]
expression = "log1p(monthly_income)"
description = "log(1 + declared monthly income in INR)"

[derived.debt_to_income]
expression = "monthly_debt_payments / monthly_income"
description = "existing monthly EMIs / monthly income"
maximum = 1_000_000

[derived.loan_to_annual_income]
expression = "loan_amount / (12 * monthly_income)"
description = "requested loan amount / annual income"
maximum = 1_000_000

# ---------------------------------------------------------------------------------------------------
# The model: its name and its features, in order (numbers first, then categories).

[model]
name = "credit-risk"
features = [
  "log_monthly_income",
  "debt_to_income",
  "loan_to_annual_income",
  "credit_history_months",
  "past_delinquencies",
  "loan_tenure_months",
  "employment_type",
  "region",
  "age_band",
]

# ---------------------------------------------------------------------------------------------------
# The outcome: what the model predicts and the decisions taken from it.

[outcome]
predicts = "probability_of_default"
label = "1 = defaulted, 0 = repaid"
description = "Probability that the applicant defaults on the loan."
favourable = "approve"
review_flags = ["politically_exposed"]

[outcome.decisions.approve]
below = 0.15
description = "Approved automatically: the probability of default is below the threshold."

[outcome.decisions.refer]
human = true
description = "Between the thresholds: a credit officer decides (the review queue)."

[outcome.decisions.decline]
above = 0.45
description = "Declined: the probability of default is above the threshold."

# Reason codes: one sentence per model feature. {value} and {typical} are shown with `format` (a trailing
# ".0" is dropped) after `shown_as` (an expression over `value`, e.g. to undo a log); {verb} is raises/lowers.
[outcome.reasons]
number_sentence = "{label}: {value} (typical applicant: {typical}) {verb} the estimated risk of default."
category_sentence = "{label} '{value}' {verb} the estimated risk of default."
raises = "raised"
lowers = "lowered"

[outcome.reasons.features]
log_monthly_income = { label = "Monthly income", shown_as = "expm1(value)", format = "INR {:,.0f}" }
debt_to_income = { label = "Existing EMIs as a share of income", shown_as = "100 * value", format = "{:.0f}%" }
loan_to_annual_income = { label = "Loan amount relative to annual income", format = "{:.1f} times" }
credit_history_months = { label = "Length of credit history", format = "{:.0f} months" }
past_delinquencies = { label = "Past delinquencies", format = "{:.1f}" }
loan_tenure_months = { label = "Loan tenure", format = "{:.0f} months" }
employment_type = { label = "Employment type" }
region = { label = "Region" }
age_band = { label = "Age band" }
"""

EmploymentType = Literal[
    "salaried",
    "self_employed",
    "business_owner",
    "unemployed",
    "retired",
]
Region = Literal[
    "north",
    "south",
    "east",
    "west",
    "central",
    "northeast",
]
AgeBand = Literal[
    "18-25",
    "26-35",
    "36-45",
    "46-60",
    "60+",
]
Decision = Literal[
    "approve",
    "refer",
    "decline",
]


class Applicant(BaseModel):
    """One loan application to score. Its amounts must give derived features ([derived]) that are finite and within their bounds: a 422 names the inputs otherwise (an income of 5e-324 with any EMIs is refused)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    applicant_id: Annotated[
        str,
        Field(
            description="The lender's id of the applicant (the data subject).",
            pattern="^[A-Za-z0-9_-]{1,64}$",
            examples=["APP-2026-000123"],
            json_schema_extra={"x-personal": True},
        ),
    ]
    full_name: Annotated[
        str,
        Field(
            description="The applicant's name, kept exactly as sent (any script).",
            min_length=1,
            max_length=200,
            examples=["राजेश कुमार"],
            json_schema_extra={"x-personal": True},
        ),
        AfterValidator(VALIDATORS["person_name"]),
    ]
    phone: Annotated[
        str,
        Field(
            description="A number the phone numbering plan assigns (checked with libphonenumber, not only this pattern): international with + and the country code (+44 20 7946 0958), or Indian without it (98765 43210, 098765 43210). Digits, spaces, + ( ) - . only. Stored as E.164 (+919876543210).",
            min_length=5,
            max_length=32,
            pattern="^[0-9+()\\-. ]+$",
            examples=["+91 98765 43210"],
            json_schema_extra={"x-personal": True},
        ),
        AfterValidator(VALIDATORS["phone_e164"]),
    ]
    monthly_income: Annotated[
        float,
        Field(
            description="Net monthly income in INR.",
            gt=0,
            le=100000000,
            examples=[85000],
            json_schema_extra={"x-unit": "INR"},
        ),
    ]
    monthly_debt_payments: Annotated[
        float,
        Field(
            description="Existing EMIs per month, INR.",
            ge=0,
            le=100000000,
            examples=[12000],
            json_schema_extra={"x-unit": "INR"},
        ),
    ]
    credit_history_months: Annotated[
        int,
        Field(
            description="Length of the bureau credit history in months.",
            ge=0,
            le=600,
            examples=[72],
            json_schema_extra={"x-unit": "months"},
        ),
    ]
    past_delinquencies: Annotated[
        int,
        Field(
            description="Number of past delinquencies on record.",
            ge=0,
            le=100,
            examples=[0],
        ),
    ]
    employment_type: Annotated[
        EmploymentType,
        Field(
            description="Salaried, self-employed, business owner, unemployed or retired.",
            examples=["salaried"],
        ),
    ]
    region: Annotated[
        Region,
        Field(
            description="Region of India the applicant lives in.",
            examples=["south"],
        ),
    ]
    age_band: Annotated[
        AgeBand,
        Field(
            description="Age band of the applicant.",
            examples=["36-45"],
        ),
    ]
    loan_amount: Annotated[
        float,
        Field(
            description="Requested amount in INR.",
            gt=0,
            le=1000000000,
            examples=[600000],
            json_schema_extra={"x-unit": "INR"},
        ),
    ]
    loan_tenure_months: Annotated[
        int,
        Field(
            description="Requested tenure in months.",
            ge=1,
            le=480,
            examples=[36],
            json_schema_extra={"x-unit": "months"},
        ),
    ]
    politically_exposed: Annotated[
        bool,
        Field(
            description="A politically exposed person: policy sends the application to human review.",
            examples=[False],
            json_schema_extra={"x-personal": True},
        ),
    ] = False

    @model_validator(mode="after")
    def _derived_features_are_finite(self) -> Self:
        """Refuse inputs that make a derived feature infinite or undefined (422 naming them)."""
        require_finite(self.model_dump())
        return self


ScoringRequest = Applicant
