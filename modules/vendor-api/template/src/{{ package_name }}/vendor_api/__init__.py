"""A resilient client for one third-party REST API (added by the vendor-api module).

In a route, take the app's client as a dependency and give each call a fallback::

    from fastapi import Depends
    from .vendor_api import VendorClient, get_vendor

    @app.get("/v1/example")
    def example(vendor: Annotated[VendorClient, Depends(get_vendor)]) -> Answer:
        return vendor.call("GET", "/customers/42", parse=to_answer, fallback=lambda error: Answer.unknown())

Each app has its own client (its metrics live on the app's registry); ``integrations/vendor_api.py`` builds
it at start-up and :func:`register` files it under the app's metrics registry.
"""

from __future__ import annotations

import weakref

from fastapi import Request
from prometheus_client import CollectorRegistry

from ._breaker import CircuitBreaker
from ._budget import Budget
from ._client import (
    IDEMPOTENCY_HEADER,
    SAFE_METHODS,
    VendorClient,
    VendorError,
    VendorRequestError,
    VendorUnavailableError,
    json_body,
)
from ._metrics import OUTCOMES, VendorMetrics
from ._vendor import DEFAULT_BASE_URL, VENDOR_NAME
from ._windows import MaintenanceSchedule, MaintenanceWindow, parse_window
from .settings import VendorApiSettings

__all__ = [
    "DEFAULT_BASE_URL",
    "IDEMPOTENCY_HEADER",
    "OUTCOMES",
    "SAFE_METHODS",
    "VENDOR_NAME",
    "Budget",
    "CircuitBreaker",
    "MaintenanceSchedule",
    "MaintenanceWindow",
    "VendorApiSettings",
    "VendorClient",
    "VendorError",
    "VendorMetrics",
    "VendorRequestError",
    "VendorUnavailableError",
    "get_vendor",
    "json_body",
    "parse_window",
    "register",
    "vendor_for",
]

_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, VendorClient] = weakref.WeakKeyDictionary()


def register(registry: CollectorRegistry, client: VendorClient) -> None:
    """File ``client`` under the app whose metrics live in ``registry``."""
    _BY_REGISTRY[registry] = client


def vendor_for(registry: CollectorRegistry) -> VendorClient:
    """The client built for the app whose metrics live in ``registry``."""
    try:
        return _BY_REGISTRY[registry]
    except KeyError:
        msg = "this app was built without the vendor-api integration (create_app(integrations=[]) in a test?)"
        raise LookupError(msg) from None


def get_vendor(request: Request) -> VendorClient:
    """FastAPI dependency: the app's vendor client."""
    return vendor_for(request.app.state.metrics.registry)
