"""The FastAPI application: scoring, health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import __version__
from ._meta import PROJECT_NAME
from .errors import CLIENT_ERRORS, NOT_READY, SERVER_ERROR, install_error_handlers
from .governance.inventory import INVENTORY, require_approval
from .integrations import Integration, IntegrationContext, discover
from .logs import configure_logging, get_logger
from .metrics import Metrics
from .middleware import RequestGuard
from .model import ModelLoadError, ScoringModel, load_model
from .schemas import Applicant, Decision, ErrorResponse, Readiness, ScoreResponse
from .settings import Settings

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

    ``integrations`` defaults to every module found in the ``integrations`` package.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level)
    metrics = Metrics()
    if integrations is None:
        integrations = discover(IntegrationContext(settings, metrics))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _load(app, settings, metrics)
        for integration in integrations:
            if integration.startup is not None:
                await integration.startup()
        yield
        for integration in reversed(integrations):
            if integration.shutdown is not None:
                await integration.shutdown()

    app = FastAPI(
        title=PROJECT_NAME,
        version=__version__,
        lifespan=lifespan,
        responses=SERVER_ERROR,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.model = None
    app.state.model_error = "not loaded yet"
    app.state.integrations = tuple(integrations)
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_request_bytes, metrics=metrics)
    _routes(app)
    return app


def _load(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    try:
        model = load_model(settings.model_path)
        approval = require_approval(model, settings.inventory_path or settings.model_path.with_name(INVENTORY))
    except ModelLoadError as exc:
        app.state.model, app.state.model_error = None, str(exc)
        metrics.model_ready.set(0)
        log.error("model_not_loaded", reason=str(exc))
        return
    app.state.model, app.state.model_error = model, None
    metrics.model_info.labels(model.name, model.version, model.sha256).set(1)
    metrics.model_ready.set(1)
    log.info(
        "model_loaded", name=model.name, version=model.version, sha256=model.sha256, approved_on=str(approval.date)
    )


def _model(request: Request) -> ScoringModel:
    model: ScoringModel | None = request.app.state.model
    if model is None:
        raise NotReadyError(request.app.state.model_error)
    return model


def _routes(app: FastAPI) -> None:
    app.add_exception_handler(NotReadyError, _not_ready)

    @app.post(
        "/v1/score",
        response_model=ScoreResponse,
        responses={**CLIENT_ERRORS, **NOT_READY},
        summary="Score one loan applicant",
    )
    def score(applicant: Applicant, request: Request, model: Annotated[ScoringModel, Depends(_model)]) -> ScoreResponse:
        settings: Settings = request.app.state.settings
        metrics: Metrics = request.app.state.metrics
        probability = model.probability_of_default(applicant.model_dump())
        decision = decide(probability, settings)
        metrics.decisions.labels(decision).inc()
        metrics.scores.observe(probability)
        log.info("scored", decision=decision, model_version=model.version)
        return ScoreResponse(
            request_id=request.scope["state"]["request_id"],
            score=to_score(probability),
            probability_of_default=round(probability, 6),
            decision=decision,
            model_name=model.name,
            model_version=model.version,
        )

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
    return result


async def _readiness(request: Request) -> Readiness:
    model: ScoringModel | None = request.app.state.model
    integrations: tuple[Integration, ...] = request.app.state.integrations
    results = await asyncio.gather(*(_check(i, request.app.state.metrics) for i in integrations))
    checks = {"model": "ok" if model else f"not loaded: {request.app.state.model_error}"}
    checks.update({i.name: result for i, result in zip(integrations, results, strict=True)})
    ready = all(result == "ok" for result in checks.values())
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
