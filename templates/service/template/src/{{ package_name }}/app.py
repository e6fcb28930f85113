"""The FastAPI application: scoring, health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import State

from . import __version__, policy
from ._meta import PROJECT_NAME
from .access import UNAUTHORISED, ApiKeyAuthenticator, Caller, require
from .admin import router as admin_router
from .audit import (
    AuditError,
    AuditRecord,
    AuditStore,
    SqliteAuditStore,
    WitnessedStore,
    WitnessFactory,
    open_witnessed,
)
from .contract import Decision
from .controls import open_incident
from .decisions import Outcome, decision_body, record_decision
from .errors import CLIENT_ERRORS, NOT_READY, SERVER_ERROR, install_error_handlers
from .governance.inventory import INVENTORY, require_approval
from .incidents import IncidentError, IncidentRegister
from .integrations import (
    AuditStoreFactory,
    Integration,
    IntegrationContext,
    audit_store_factory,
    audit_witness_factory,
    authenticator_for,
    discover,
    observe_audit,
)
from .keys import KeyStore
from .killswitch import KILL_SWITCH, KillSwitch, fallback_decision
from .logs import configure_logging, get_logger
from .metrics import Metrics
from .middleware import RequestGuard
from .model import ModelLoadError, ScoringModel, load_model
from .model.drift import BASELINE_FILE, DriftMonitor, load_baseline
from .model.explain import Explainer, explainer_for
from .obligations import enforce
from .oversight import (
    AUDIT_WRITE_FAILED,
    DECISION_FAILED,
    EXPLANATION_FAILED,
    GREY_ZONE,
    PERSONAL_READERS,
    PREDICTION_FAILED,
    DecisionId,
    decision_record,
    open_review_queue,
    queue_referral,
    referral,
)
from .oversight import router as oversight_router
from .policy import REFERRAL, Thresholds
from .privacy import SubjectKeyError, SubjectKeyStore, subject_entry
from .rollout import CHAMPION, Arm, deciding_arm, load_challenger, shadow_result
from .schemas import Applicant, DecisionRecord, ErrorResponse, Explanation, Readiness, ScoreResponse
from .settings import Settings
from .tracing import configure_tracing

log = get_logger(__name__)


class NotReadyError(Exception):
    """No verified model is loaded."""


def decide(probability: float, settings: Settings) -> Decision:
    """The decision the configured thresholds make of ``probability`` (:func:`.policy.decide`)."""
    return policy.decide(probability, Thresholds.of(settings))


def to_score(probability: float) -> int:
    """300 (worst) to 900 (best)."""
    return round(900 - 600 * probability)


def create_app(settings: Settings | None = None, integrations: Sequence[Integration] | None = None) -> FastAPI:
    """Build the app; the model is loaded at start-up (lifespan) and readiness follows it.

    ``integrations`` defaults to every module found in the ``integrations`` package. Raises
    ``GovernanceError`` when a store is outside the data residency the selected regimes require, or the
    configured audit retention is shorter than theirs (see :mod:`.obligations`).
    """
    settings = settings or Settings()
    configure_logging(settings.log_level)
    configure_tracing()
    metrics = Metrics()

    def score(applicant: Applicant, *, request_id: str, caller: str) -> ScoreResponse:
        return score_applicant(app.state, applicant, request_id=request_id, caller=caller)

    if integrations is None:
        integrations = discover(IntegrationContext(settings, metrics, score))
    duties = enforce(settings, integrations)  # data residency and retention: refused before anything opens
    open_store = audit_store_factory(integrations)
    open_witness = audit_witness_factory(integrations)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if await _prepare(app, integrations, metrics):
            _load(app, settings, metrics)
        app.state.audit = observe_audit(_open_audit(settings, open_store, open_witness), integrations)
        app.state.subjects = _open_subjects(settings)
        app.state.reviews = open_review_queue(settings)
        if app.state.reviews is not None:
            metrics.review_queue_depth.set_function(app.state.reviews.depth)
        app.state.incidents = _open_incidents(settings)
        for integration in integrations:
            if integration.startup is not None:
                await integration.startup()
        yield
        for integration in reversed(integrations):
            if integration.shutdown is not None:
                await integration.shutdown()
        _close_stores(app.state)

    app = FastAPI(
        title=PROJECT_NAME,
        version=__version__,
        lifespan=lifespan,
        responses=SERVER_ERROR,
    )
    app.state.settings = settings
    app.state.obligations = duties
    app.state.metrics = metrics
    app.state.model = None
    app.state.model_error = "not loaded yet"
    app.state.explainer = None
    app.state.drift = None
    app.state.audit = None
    app.state.subjects = None
    app.state.reviews = None
    app.state.incidents = None
    app.state.challenger = None
    app.state.kill_switch = KillSwitch(settings.kill_switch_path)  # re-read when it changes: no restart
    metrics.kill_switch_engaged.set_function(lambda: float(app.state.kill_switch.state().engaged))
    app.state.authenticator = authenticator_for(integrations, ApiKeyAuthenticator(KeyStore(settings.api_keys_path)))
    app.state.integrations = tuple(integrations)
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_request_bytes, metrics=metrics)
    _routes(app)
    app.include_router(oversight_router)
    app.include_router(admin_router)
    return app


def _close_stores(state: State) -> None:
    for store in (state.audit, state.subjects, state.reviews, state.incidents):
        if store is not None:
            store.close()


async def _prepare(app: FastAPI, integrations: Sequence[Integration], metrics: Metrics) -> bool:
    """Run the ``prepare`` hooks (before the model loads); False, with the reason recorded, if one fails."""
    for integration in integrations:
        if integration.prepare is None:
            continue
        try:
            await integration.prepare()
        except Exception as exc:  # a module's failure must leave the service up and not ready, whatever it is
            app.state.model_error = f"{integration.name} prepare failed: {type(exc).__name__}: {exc}"
            metrics.model_ready.set(0)
            log.error("integration_prepare_failed", integration=integration.name, reason=str(exc))
            return False
    return True


def _load(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    try:
        model = load_model(settings.model_path)
        app.state.explainer = _explainer(model, settings)
        approval = require_approval(model, settings.inventory_path or settings.model_path.with_name(INVENTORY))
    except ModelLoadError as exc:
        app.state.model, app.state.model_error = None, str(exc)
        metrics.model_ready.set(0)
        log.error("model_not_loaded", reason=str(exc))
        return
    app.state.model, app.state.model_error = model, None
    app.state.drift = _drift_monitor(settings)
    app.state.challenger = load_challenger(settings)
    metrics.model_info.labels(model.name, model.version, model.sha256).set(1)
    metrics.model_ready.set(1)
    log.info(
        "model_loaded", name=model.name, version=model.version, sha256=model.sha256, approved_on=str(approval.date)
    )


def _drift_monitor(settings: Settings) -> DriftMonitor | None:
    """Population drift against the baseline saved with the model (none if that file is missing)."""
    path = settings.model_path.with_name(BASELINE_FILE)
    try:
        baseline = load_baseline(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("drift_baseline_missing", path=str(path), reason=str(exc))
        return None
    return DriftMonitor(baseline, window=settings.drift_window, min_samples=settings.drift_min_samples)


def _observe_drift(state: State, applicant: Applicant, probability: float) -> None:
    """Add the request to the drift window; every ``drift_update_every`` requests, refresh the gauges."""
    monitor: DriftMonitor | None = getattr(state, "drift", None)
    if monitor is None:
        return
    observed = monitor.observe(applicant.model_dump(), probability)
    settings: Settings = state.settings
    if observed % settings.drift_update_every:  # not the window size: once full, that stays the same
        return
    metrics: Metrics = state.metrics
    for feature, value in monitor.psi().items():
        metrics.drift_psi.labels(feature).set(value)
        if value > settings.drift_psi_threshold:
            log.warning("drift_over_threshold", feature=feature, psi=value, threshold=settings.drift_psi_threshold)
            summary = f"drift of {feature} over the threshold (PSI {value:.3f} > {settings.drift_psi_threshold})"
            open_incident(
                state.incidents, state.audit, "drift", f"drift:{feature}", summary, feature=feature, psi=value
            )


def _explainer(model: ScoringModel, settings: Settings) -> Explainer | None:
    if not settings.explanations_enabled:
        return None
    return explainer_for(model, settings.explanation_reasons)


def _open_incidents(settings: Settings) -> IncidentRegister | None:
    """The incident register, or None (logged: incidents are then only in the log)."""
    try:
        return IncidentRegister(settings.incident_path)
    except IncidentError as exc:
        log.error("incident_register_not_open", reason=str(exc))
        return None


def _open_audit(
    settings: Settings, open_store: AuditStoreFactory | None = None, open_witness: WitnessFactory | None = None
) -> AuditStore | None:
    """The audit trail, witnessed, or None (disabled, or it cannot be opened: then every decision is referred).

    ``open_store`` and ``open_witness`` are the store and witness a module provides (see ``integrations``);
    the defaults are SQLite and the witness file.
    """
    if not settings.audit_enabled:
        log.warning("audit_disabled")
        return None
    try:
        if open_store is not None:
            store = open_store(settings)
        else:
            store = SqliteAuditStore(settings.audit_path, checkpoint_interval=settings.audit_checkpoint_interval)
        witnessed = open_witnessed(store, settings, open_witness)
    except AuditError as exc:
        log.error("audit_not_open", reason=str(exc))
        return None
    if isinstance(witnessed, WitnessedStore) and witnessed.key_created:
        where = str(settings.audit_witness_key_path)
        log.warning("audit_witness_key_created", path=where, hint="keep it apart from the trail (docs/runbook.md)")
    return witnessed


def _open_subjects(settings: Settings) -> SubjectKeyStore | None:
    """The subject key store, or None (logged: then no decision can be recorded, so every one is referred)."""
    if not settings.audit_enabled:
        return None
    try:
        return SubjectKeyStore(settings.subject_keys_path)
    except SubjectKeyError as exc:
        log.error("subject_keys_not_open", reason=str(exc))
        return None


def _sealed_subject(state: State, applicant: Applicant) -> dict[str, Any] | None:
    """The record's ``subject`` (personal data sealed with the subject's key), or None (counted and logged)."""
    try:
        return subject_entry(state.subjects, applicant)
    except Exception as exc:  # whatever broke, personal data must not be recorded in clear nor lose its key
        metrics: Metrics = state.metrics
        metrics.audit_write_failures.inc()
        log.error("subject_key_failed", error_type=type(exc).__name__, reason=str(exc))
        return None


@dataclass(frozen=True)
class _Draft:
    """A decision before it is recorded: the arm that decided, the record body, its explanation and rule."""

    arm: Arm
    body: dict[str, Any]
    probability: float | None
    explanation: Explanation | None = None
    rule: str | None = None


def _finite_explanation(explanation: Explanation) -> bool:
    numbers = [explanation.base_log_odds, explanation.log_odds, *explanation.contributions.values()]
    return all(math.isfinite(n) for n in numbers)


def _predict(
    explainer: Explainer | None, model: ScoringModel, applicant: Applicant
) -> tuple[float | None, Explanation | None, str | None]:
    """Probability, explanation, and why the case must go to a person instead (fail safe).

    EXPLANATION_FAILED when the explainer failed (the model's probability is kept); PREDICTION_FAILED, with
    no probability, when the model itself failed or gave something that is not a probability.
    """
    features = applicant.model_dump()
    failure = None
    if explainer is not None:
        try:
            probability, explanation = explainer.explain(features)
            if 0 <= probability <= 1 and _finite_explanation(explanation):
                return probability, explanation, None
            raise ValueError(f"probability {probability!r} or a contribution is not a finite number")
        except Exception as exc:  # whatever broke, the decision must not be automated without its reasons
            log.error("explanation_failed", error_type=type(exc).__name__, reason=str(exc))
            failure = EXPLANATION_FAILED
    try:
        probability = model.predict(features)
        if not 0 <= probability <= 1:  # NaN fails this too
            raise ValueError(f"the model gave {probability!r}, not a probability")
    except Exception as exc:  # whatever broke, no automated decision without the model's probability
        log.error("prediction_failed", error_type=type(exc).__name__, reason=str(exc))
        return None, None, PREDICTION_FAILED
    return probability, None, failure


def _draft(state: State, arm: Arm, applicant: Applicant, outcome: Outcome, *, suspended: bool) -> _Draft:
    """Predict, apply the policy (and the kill switch) and build the record body."""
    settings: Settings = state.settings
    probability, explanation, failure = _predict(arm.explainer, arm.model, applicant)
    decision: Decision = REFERRAL
    reason = failure
    if probability is not None:
        automated = decide(probability, settings)
        reason = failure or referral(applicant, automated)
        decision = REFERRAL if reason else automated
    rule = None
    if suspended:
        decision, reason, rule = _suspended_decision(applicant, settings, decision, reason)
    outcome = replace(
        outcome,
        probability=probability,
        score=None if probability is None else to_score(probability),
        decision=decision,
        explanation=explanation,
        referral=reason,
    )
    body = decision_body(outcome, applicant, arm.model, settings)
    body |= _rollout_fields(state, arm, applicant, suspended=suspended, rule=rule)
    return _Draft(arm, body, probability, explanation, rule)


def _failed_draft(state: State, arm: Arm, applicant: Applicant, outcome: Outcome, *, suspended: bool) -> _Draft:
    """The fail-safe draft when deciding broke: referred to a person, recorded without a probability."""
    outcome = replace(outcome, probability=None, score=None, decision=REFERRAL, referral=DECISION_FAILED)
    body = decision_body(outcome, applicant, arm.model, state.settings)
    body |= {"rollout_arm": arm.name, "kill_switch_engaged": suspended, "fallback_rule": None}
    return _Draft(arm, body, None)


def _record(state: State, applicant: Applicant, body: dict[str, Any]) -> AuditRecord | None:
    """Write the decision to the audit trail (personal data sealed); on failure it becomes a referral."""
    settings: Settings = state.settings
    record = None
    if settings.audit_enabled:
        subject = _sealed_subject(state, applicant)  # the key is on disk before the record that needs it
        if subject is not None:
            body["subject"] = subject
            record = record_decision(state.audit, body, state.metrics, settings.audit_timeout_seconds)
        if record is None:  # fail safe: what cannot be recorded is not decided automatically
            body |= {"decision": REFERRAL, "referral": AUDIT_WRITE_FAILED}
    return record


def _monitor(state: State, applicant: Applicant, decision: str, probability: float | None) -> None:
    """Count the decision and feed the drift window; a failure here is logged, the decision stands."""
    metrics: Metrics = state.metrics
    try:
        metrics.decisions.labels(decision).inc()
        if probability is not None:
            metrics.scores.observe(probability)
            _observe_drift(state, applicant, probability)
    except Exception as exc:  # monitoring must never undo a recorded decision
        log.error("monitoring_failed", error_type=type(exc).__name__, reason=str(exc))


def score_applicant(state: State, applicant: Applicant, *, request_id: str, caller: str) -> ScoreResponse:
    """Score, decide and record one applicant: ``POST /v1/score``, and integrations through ``context.score``.

    ``state`` is the running app's state (model, explainer, audit trail, settings, metrics). The decision
    is written durably to the audit trail before this returns, its personal fields sealed under the
    subject's key (created durably first, see :mod:`.privacy`); if either fails, the decision is `refer`
    (human review) with `audit_recorded: false`, never an automated one. Whatever fails while deciding
    (the model, its explanation, the policy) sends the case to a person, recorded and queued: valid input
    never gets a 500. Raises :class:`NotReadyError` while no verified model is loaded. Blocking (model and
    audit write): call it from a worker thread.
    """
    model: ScoringModel | None = state.model
    if model is None:
        raise NotReadyError(state.model_error)
    settings: Settings = state.settings
    started = time.perf_counter()
    suspended: bool = state.kill_switch.state().engaged  # one stat(); takes effect without a restart
    arm = deciding_arm(
        Arm(CHAMPION, model, state.explainer), state.challenger, settings, applicant.applicant_id, suspended=suspended
    )
    outcome = Outcome(request_id, caller, None, None, REFERRAL, None, 0.0)
    try:
        draft = _draft(state, arm, applicant, outcome, suspended=suspended)
    except Exception as exc:  # fail safe: whatever broke, a person decides, and the case is recorded
        log.error("decision_failed", error_type=type(exc).__name__, reason=str(exc))
        draft = _failed_draft(state, arm, applicant, outcome, suspended=suspended)
    body = draft.body
    body["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
    record = _record(state, applicant, body)
    decision = body["decision"]
    if decision == REFERRAL:
        queue_referral(state, body, record)
    _monitor(state, applicant, decision, draft.probability)
    log.info("scored", decision=decision, model_version=arm.model.version, audit_recorded=record is not None)
    return ScoreResponse(
        request_id=request_id,
        decision_id=record.id if record else None,
        score=body["score"],
        probability_of_default=None if draft.probability is None else round(draft.probability, 6),
        decision=decision,
        model_name=arm.model.name,
        model_version=arm.model.version,
        audit_recorded=record is not None,
        explanation=draft.explanation,
        referral=body["referral"],
        fallback_rule=draft.rule,
        disclosure=settings.disclosure_text,
    )


def _suspended_decision(
    applicant: Applicant, settings: Settings, decision: Decision, reason: str | None
) -> tuple[Decision, str | None, str | None]:
    """While the kill switch is engaged: refer (or the fallback rules decide); policy and failures stay referred."""
    if reason is not None and reason != GREY_ZONE:
        return decision, reason, None
    if settings.kill_switch_mode == "review":
        return REFERRAL, KILL_SWITCH, None
    rules = fallback_decision(
        applicant, approve_max_dti=settings.fallback_approve_max_dti, decline_min_dti=settings.fallback_decline_min_dti
    )
    return rules.decision, (KILL_SWITCH if rules.decision == REFERRAL else None), rules.rule


def _rollout_fields(
    state: State, arm: Arm, applicant: Applicant, *, suspended: bool, rule: str | None
) -> dict[str, Any]:
    """The arm that decided, the kill switch, the fallback rule; in shadow mode, the challenger's result."""
    settings: Settings = state.settings
    fields: dict[str, Any] = {"rollout_arm": arm.name, "kill_switch_engaged": suspended, "fallback_rule": rule}
    challenger: Arm | None = state.challenger
    if challenger is not None and settings.rollout_mode == "shadow" and not suspended:
        try:
            fields["shadow"] = shadow_result(challenger, applicant.model_dump(), Thresholds.of(settings))
        except Exception as exc:  # the challenger only watches: its failure must not change the decision
            log.error("shadow_failed", error_type=type(exc).__name__, reason=str(exc))
            fields["shadow"] = {"error": type(exc).__name__}
    return fields


def _routes(app: FastAPI) -> None:
    app.add_exception_handler(NotReadyError, _not_ready)

    @app.post(
        "/v1/score",
        response_model=ScoreResponse,
        responses={**CLIENT_ERRORS, **UNAUTHORISED, **NOT_READY},
        summary="Score one loan applicant",
    )
    def score(
        applicant: Applicant, request: Request, caller: Annotated[Caller, Depends(require("scorer"))]
    ) -> ScoreResponse:
        """The decision is written durably to the audit trail before this returns; if that fails, the
        decision is `refer` (human review) with `audit_recorded: false`, never an automated one."""
        request_id: str = request.scope["state"]["request_id"]
        return score_applicant(request.app.state, applicant, request_id=request_id, caller=caller.name)

    @app.get(
        "/v1/decisions/{decision_id}",
        response_model=DecisionRecord,
        responses={**UNAUTHORISED, 404: {"model": ErrorResponse, "description": "No recorded decision has this id."}},
        summary="One recorded decision with its explanation and reviews",
    )
    def get_decision(
        decision_id: DecisionId,
        request: Request,
        caller: Annotated[Caller, Depends(require("scorer", "reviewer", "auditor"))],
    ) -> DecisionRecord:
        """The decision as recorded, whether it waits for or went through human review, and every review."""
        return decision_record(request.app.state, decision_id, may_read_personal=bool(caller.roles & PERSONAL_READERS))

    @app.get("/healthz", summary="Liveness: the process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="Readiness: a verified model is loaded and every integration is healthy",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready; `checks` says why."}},
    )
    async def readyz(request: Request) -> JSONResponse:
        readiness = await _readiness(request)
        status = 200 if readiness.status == "ready" else 503
        return JSONResponse(readiness.model_dump(), status_code=status)

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics_endpoint(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def _check(integration: Integration, metrics: Metrics) -> str:
    if integration.check is None:
        return "ok"
    try:
        await asyncio.wait_for(integration.check(), timeout=integration.check_timeout_seconds)
    except TimeoutError:
        result = f"timed out after {integration.check_timeout_seconds} s"
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"
    else:
        result = "ok"
    metrics.integration_ready.labels(integration.name).set(1 if result == "ok" else 0)
    if result != "ok" and not integration.required:
        return f"degraded: {result}"
    return result


async def _readiness(request: Request) -> Readiness:
    model: ScoringModel | None = request.app.state.model
    integrations: tuple[Integration, ...] = request.app.state.integrations
    results = await asyncio.gather(*(_check(i, request.app.state.metrics) for i in integrations))
    checks = {"model": "ok" if model else f"not loaded: {request.app.state.model_error}"}
    checks.update({i.name: result for i, result in zip(integrations, results, strict=True)})
    optional = {i.name for i in integrations if not i.required}
    ready = all(result == "ok" or name in optional for name, result in checks.items())
    return Readiness(
        status="ready" if ready else "not_ready",
        model=model.name if model else None,
        model_version=model.version if model else None,
        checks=checks,
    )


async def _not_ready(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id")
    body = ErrorResponse(error="not_ready", message=f"model not loaded: {exc}", request_id=request_id)
    return JSONResponse(body.model_dump(), status_code=503)
