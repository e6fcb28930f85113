"""The FastAPI application: scoring, health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import State

from . import __version__
from ._meta import PROJECT_NAME
from .access import UNAUTHORISED, ApiKeyAuthenticator, Caller, require
from .admin import router as admin_router
from .audit import AuditError, AuditStore, SqliteAuditStore
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
    EXPLANATION_FAILED,
    GREY_ZONE,
    PERSONAL_READERS,
    decision_record,
    open_review_queue,
    queue_referral,
    referral,
)
from .oversight import router as oversight_router
from .privacy import SubjectKeyError, SubjectKeyStore, subject_entry
from .rollout import CHAMPION, Arm, deciding_arm, load_challenger, shadow_result
from .schemas import Applicant, Decision, DecisionRecord, ErrorResponse, Explanation, Readiness, ScoreResponse
from .settings import Settings
from .tracing import configure_tracing

log = get_logger(__name__)


class NotReadyError(Exception):
    """No verified model is loaded."""


def decide(probability: float, settings: Settings) -> Decision:
    """Approve, refer or decline from the probability of default and the configured thresholds."""
    if probability < settings.approve_below:
        return "approve"
    if probability > settings.decline_above:
        return "decline"
    return "refer"


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if await _prepare(app, integrations, metrics):
            _load(app, settings, metrics)
        app.state.audit = observe_audit(_open_audit(settings, open_store), integrations)
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
    app.state.authenticator = ApiKeyAuthenticator(KeyStore(settings.api_keys_path))  # or an OIDC module's
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
    return explainer_for(model, settings.model_path.with_suffix(".json"), settings.explanation_reasons)


def _open_incidents(settings: Settings) -> IncidentRegister | None:
    """The incident register, or None (logged: incidents are then only in the log)."""
    try:
        return IncidentRegister(settings.incident_path)
    except IncidentError as exc:
        log.error("incident_register_not_open", reason=str(exc))
        return None


def _open_audit(settings: Settings, open_store: AuditStoreFactory | None = None) -> AuditStore | None:
    """The audit trail, or None (disabled, or it cannot be opened: then every decision is referred).

    ``open_store`` is the store a module provides (see ``integrations``); the default is SQLite.
    """
    if not settings.audit_enabled:
        log.warning("audit_disabled")
        return None
    try:
        if open_store is not None:
            return open_store(settings)
        return SqliteAuditStore(settings.audit_path, checkpoint_interval=settings.audit_checkpoint_interval)
    except AuditError as exc:
        log.error("audit_not_open", reason=str(exc))
        return None


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


def _predict(
    explainer: Explainer | None, model: ScoringModel, applicant: Applicant
) -> tuple[float, Explanation | None, str | None]:
    """Probability, explanation, and EXPLANATION_FAILED when the explainer failed (fail safe: to a person)."""
    features = applicant.model_dump()
    if explainer is None:
        return model.probability_of_default(features), None, None
    try:
        probability, explanation = explainer.explain(features)
    except Exception as exc:  # whatever broke, the decision must not be automated without its reasons
        log.error("explanation_failed", error_type=type(exc).__name__, reason=str(exc))
        return model.probability_of_default(features), None, EXPLANATION_FAILED
    return probability, explanation, None


def score_applicant(state: State, applicant: Applicant, *, request_id: str, caller: str) -> ScoreResponse:
    """Score, decide and record one applicant: ``POST /v1/score``, and integrations through ``context.score``.

    ``state`` is the running app's state (model, explainer, audit trail, settings, metrics). The decision
    is written durably to the audit trail before this returns, its personal fields sealed under the
    subject's key (created durably first, see :mod:`.privacy`); if either fails, the decision is `refer`
    (human review) with `audit_recorded: false`, never an automated one. Raises :class:`NotReadyError`
    while no verified model is loaded. Blocking (model and audit write): call it from a worker thread.
    """
    model: ScoringModel | None = state.model
    if model is None:
        raise NotReadyError(state.model_error)
    settings: Settings = state.settings
    metrics: Metrics = state.metrics
    started = time.perf_counter()
    suspended: bool = state.kill_switch.state().engaged  # one stat(); takes effect without a restart
    arm = deciding_arm(
        Arm(CHAMPION, model, state.explainer), state.challenger, settings, applicant.applicant_id, suspended=suspended
    )
    model = arm.model
    probability, explanation, failure = _predict(arm.explainer, model, applicant)
    reason = failure or referral(applicant, decide(probability, settings))
    decision: Decision = "refer" if reason else decide(probability, settings)
    rule = None
    if suspended:
        decision, reason, rule = _suspended_decision(applicant, settings, decision, reason)
    outcome = Outcome(
        request_id=request_id,
        caller=caller,
        probability=probability,
        score=to_score(probability),
        decision=decision,
        explanation=explanation,
        latency_seconds=time.perf_counter() - started,
        referral=reason,
    )
    record, body = None, decision_body(outcome, applicant, model, settings)
    body |= _rollout_fields(state, arm, applicant, suspended=suspended, rule=rule)
    if settings.audit_enabled:
        subject = _sealed_subject(state, applicant)  # the key is on disk before the record that needs it
        if subject is not None:
            body["subject"] = subject
            record = record_decision(state.audit, body, metrics, settings.audit_timeout_seconds)
        if record is None:  # fail safe: what cannot be recorded is not decided automatically
            body |= {"decision": "refer", "referral": AUDIT_WRITE_FAILED}
    decision = body["decision"]
    if decision == "refer":
        queue_referral(state, body, record)
    metrics.decisions.labels(decision).inc()
    metrics.scores.observe(probability)
    _observe_drift(state, applicant, probability)
    log.info("scored", decision=decision, model_version=model.version, audit_recorded=record is not None)
    return ScoreResponse(
        request_id=outcome.request_id,
        decision_id=record.id if record else None,
        score=outcome.score,
        probability_of_default=round(probability, 6),
        decision=decision,
        model_name=model.name,
        model_version=model.version,
        audit_recorded=record is not None,
        explanation=explanation,
        referral=body["referral"],
        fallback_rule=rule,
        disclosure=settings.disclosure_text,
    )


def _suspended_decision(
    applicant: Applicant, settings: Settings, decision: Decision, reason: str | None
) -> tuple[Decision, str | None, str | None]:
    """While the kill switch is engaged: refer (or the fallback rules decide); policy and failures stay referred."""
    if reason is not None and reason != GREY_ZONE:
        return decision, reason, None
    if settings.kill_switch_mode == "review":
        return "refer", KILL_SWITCH, None
    rules = fallback_decision(
        applicant, approve_max_dti=settings.fallback_approve_max_dti, decline_min_dti=settings.fallback_decline_min_dti
    )
    return rules.decision, (KILL_SWITCH if rules.decision == "refer" else None), rules.rule


def _rollout_fields(
    state: State, arm: Arm, applicant: Applicant, *, suspended: bool, rule: str | None
) -> dict[str, Any]:
    """The arm that decided, the kill switch, the fallback rule; in shadow mode, the challenger's result."""
    settings: Settings = state.settings
    fields: dict[str, Any] = {"rollout_arm": arm.name, "kill_switch_engaged": suspended, "fallback_rule": rule}
    challenger: Arm | None = state.challenger
    if challenger is not None and settings.rollout_mode == "shadow" and not suspended:
        fields["shadow"] = shadow_result(
            challenger, applicant.model_dump(), settings.approve_below, settings.decline_above
        )
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
        decision_id: str, request: Request, caller: Annotated[Caller, Depends(require("scorer", "reviewer", "auditor"))]
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
