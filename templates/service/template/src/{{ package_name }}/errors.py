"""Every error becomes a documented JSON body (:class:`~.schemas.ErrorResponse`); no input yields a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from .contract import DerivationError
from .logs import get_logger
from .schemas import ErrorResponse, FieldError

log = get_logger(__name__)

MALFORMED_JSON = "malformed_json"
_MALFORMED_MESSAGE = "the request body is not valid JSON (UTF-8, complete, nested at most a few hundred levels)"
_CODES = {
    400: MALFORMED_JSON,  # the only 400 the service gives: a body that cannot be parsed, whatever the reason
    401: "unauthorized",
    403: "forbidden",
    409: "conflict",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "not_ready",
}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
CLIENT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorResponse,
        "description": "The body cannot be parsed: not JSON, truncated, not UTF-8 or nested too deeply "
        "(always `malformed_json`).",
    },
    413: {"model": ErrorResponse, "description": "Body larger than the configured limit."},
    415: {"model": ErrorResponse, "description": "Body is not sent as application/json."},
    422: {"model": ErrorResponse, "description": "Invalid or unknown fields; `fields` lists each problem."},
}
SERVER_ERROR: dict[int | str, dict[str, Any]] = {
    500: {"model": ErrorResponse, "description": "Unexpected server error (a bug; reported with the request id)."},
}
NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "No verified model is loaded."},
}


def _body(request: Request, error: str, message: str, fields: list[FieldError] | None = None) -> dict[str, Any]:
    request_id = request.scope.get("state", {}).get("request_id")
    return ErrorResponse(error=error, message=message, request_id=request_id, fields=fields or []).model_dump()


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 -- registered for this type only
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(_body(request, MALFORMED_JSON, _MALFORMED_MESSAGE), status_code=400)
    fields = [field for e in errors for field in _field_errors(e)]
    # The offending input values are not echoed back: they may be personal data.
    return JSONResponse(_body(request, "validation_error", "the request has invalid fields", fields), status_code=422)


def _field_errors(error: Any) -> list[FieldError]:
    """One entry per invalid field; a derived feature that is not finite names each input it reads."""
    loc = [p for p in error.get("loc", ()) if p != "body"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, DerivationError):
        kind = "derived_feature_not_finite"
        return [FieldError(loc=[*loc, name], msg=str(cause), type=kind) for name in cause.fields]
    return [FieldError(loc=loc, msg=str(error.get("msg", "")), type=str(error.get("type")))]


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 -- registered for this type only
    headers = exc.headers
    if exc.status_code == 405:  # noqa: PLR2004 -- every method of the path, not only the first route's
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
    code = _CODES.get(exc.status_code, "error")
    message = _MALFORMED_MESSAGE if exc.status_code == 400 else str(exc.detail)  # noqa: PLR2004
    return JSONResponse(_body(request, code, message), status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers (each method may have its own route), and OPTIONS."""
    methods = {"OPTIONS"}
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            methods.add(method)
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", error_type=type(exc).__name__, route=request.url.path)
    return JSONResponse(_body(request, "internal_error", "unexpected error; quote the request id"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into :class:`ErrorResponse` bodies."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
