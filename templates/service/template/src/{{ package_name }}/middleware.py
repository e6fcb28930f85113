"""A pure ASGI middleware in front of the app: request ids, content type, body size, access log, metrics.

Pure ASGI (not ``BaseHTTPMiddleware``) so that an oversized body is refused *before* it is read: a
``Content-Length`` over the limit gets 413 at once, and a streamed body without one is counted chunk by
chunk and cut off at the limit, so memory stays bounded whatever the client sends. The content type is
checked when the endpoint reads the body, that is after routing: an unknown route is a 404 and a method
the route does not take a 405, whatever the body.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from opentelemetry.trace import SpanKind
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import get_logger
from .metrics import Metrics
from .tracing import tracer

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
log = get_logger(__name__)


class PayloadTooLargeError(HTTPException):
    """Raised while streaming a body that passes the limit (FastAPI re-raises HTTPException as is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


class UnsupportedMediaTypeError(HTTPException):
    """Raised when an endpoint reads a body that is not sent as JSON."""

    def __init__(self) -> None:
        super().__init__(415, "send the body as JSON with Content-Type: application/json")


class RequestGuard:
    """Assign a request id, refuse wrong content types and oversized bodies, log and measure each request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _request_id(headers.get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        with tracer.start_as_current_span("http.request", kind=SpanKind.SERVER) as span:
            try:
                refusal = self._refusal(scope["method"], headers)
                if refusal is not None:
                    await _send_error(send_with_id, request_id, *refusal)
                else:
                    is_json = _media_type(headers) == "application/json"
                    await self.app(scope, self._limited(receive, is_json=is_json), send_with_id)
            finally:
                route = self._observe(scope, status["code"], time.perf_counter() - started)
                span.set_attributes(
                    {
                        "http.request.method": scope["method"],
                        "http.route": route,
                        "http.response.status_code": status["code"],
                    }
                )
                structlog.contextvars.unbind_contextvars("request_id")

    def _refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str, str] | None:
        if method not in _BODY_METHODS:
            return None
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return 413, "payload_too_large", f"request body is larger than {self.max_body_bytes} bytes"
        return None

    def _limited(self, receive: Receive, *, is_json: bool) -> Receive:
        """``receive`` for the app: 415 when an endpoint reads a body that is not JSON, 413 past the limit."""
        seen = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                if not is_json:
                    raise UnsupportedMediaTypeError
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLargeError(limit)
            return message

        return limited_receive

    def _observe(self, scope: Scope, status: int, seconds: float) -> str:
        route: str = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(route, scope["method"], str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        log.info("request", method=scope["method"], route=route, status=status, ms=round(seconds * 1000, 2))
        return route


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _request_id(candidate: str | None) -> str:
    if candidate and _SAFE_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


async def _send_error(send: Send, request_id: str, status: int, code: str, message: str) -> None:
    body: dict[str, Any] = {"error": code, "message": message, "request_id": request_id, "fields": []}
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
