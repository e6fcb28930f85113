"""JSON structured logging with structlog; request ids are bound per request by the middleware.

Personal data (fields marked personal in :mod:`.schemas`) is never passed to a logger; as a second line
of defence, :func:`_drop_personal` removes those keys should one ever be bound by mistake.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from .schemas import PERSONAL_FIELDS


def _drop_personal(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in PERSONAL_FIELDS & event.keys():
        event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO") -> None:
    """Route structlog and the standard library's logging to one JSON line per event on stdout."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_personal,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # the middleware logs each request itself


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger (JSON once :func:`configure_logging` ran)."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
