"""OpenTelemetry tracing: off by default, switched on by the standard OTEL environment variables.

Tracing starts when ``OTEL_TRACES_EXPORTER`` is ``otlp`` or ``console``, or when an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none`` keeps it off. The exporter reads the other standard variables itself
(headers, timeout, compression), and ``OTEL_SERVICE_NAME`` names the service (default: the project name).

Spans: ``http.request`` for each request (route template, method, status), ``model.predict``,
``audit.write`` and ``integration.call`` (the integration's name). Span attributes never carry request
data, so no personal data leaves the service in a trace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from ._meta import PROJECT_NAME

tracer = trace.get_tracer(PROJECT_NAME)
_state = {"configured": False}


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether the standard OTEL variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return exporter in {"otlp", "console"} or bool(endpoint)


def configure_tracing(environ: Mapping[str, str] | None = None, *, processor: SpanProcessor | None = None) -> bool:
    """Install the tracer provider once per process if tracing is wanted; True when it is on.

    ``processor`` replaces the exporter chosen from the environment (tests pass an in-memory one).
    """
    environ = os.environ if environ is None else environ
    if _state["configured"]:
        return True
    if processor is None and not wanted(environ):
        return False
    name = environ.get("OTEL_SERVICE_NAME") or PROJECT_NAME
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(processor or BatchSpanProcessor(_exporter(environ)))
    trace.set_tracer_provider(provider)
    _state["configured"] = True
    return True


def _exporter(environ: Mapping[str, str]) -> SpanExporter:
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # only when used

    return OTLPSpanExporter()
