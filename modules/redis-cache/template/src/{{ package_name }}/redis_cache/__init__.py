"""Redis cache for expensive lookups (added by the redis-cache module).

In a route, take the app's cache or the example sanctions client as a dependency::

    from fastapi import Depends
    from .redis_cache import Cache, get_cache

    @app.get("/v1/example")
    def example(cache: Annotated[Cache, Depends(get_cache)]) -> Answer:
        return cache.get_or_compute(key, lambda: expensive(key), returns=Answer, ttl_seconds=600,
                                    cost_per_call=0.25, namespace="example")

Each app has its own cache (its metrics live on the app's registry); ``integrations/redis_cache.py``
builds it at start-up and :func:`register` files it under the app's metrics registry.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from fastapi import Request
from prometheus_client import CollectorRegistry

from ._breaker import CircuitBreaker
from ._cache import Cache, CacheUnavailableError, connect
from ._metrics import RESULTS, CacheMetrics
from .sanctions import SanctionsClient, SanctionsError, ScreeningResult
from .settings import RedisCacheSettings, SanctionsSettings

__all__ = [
    "RESULTS",
    "Cache",
    "CacheMetrics",
    "CacheServices",
    "CacheUnavailableError",
    "CircuitBreaker",
    "RedisCacheSettings",
    "SanctionsClient",
    "SanctionsError",
    "SanctionsSettings",
    "ScreeningResult",
    "connect",
    "get_cache",
    "get_sanctions",
    "register",
    "services_for",
]


@dataclass(frozen=True)
class CacheServices:
    """What the module builds for one app."""

    cache: Cache
    sanctions: SanctionsClient


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, CacheServices] = weakref.WeakKeyDictionary()


def register(registry: CollectorRegistry, services: CacheServices) -> None:
    """File ``services`` under the app whose metrics live in ``registry``."""
    _BY_REGISTRY[registry] = services


def services_for(registry: CollectorRegistry) -> CacheServices:
    """The services built for the app whose metrics live in ``registry``."""
    try:
        return _BY_REGISTRY[registry]
    except KeyError:
        msg = "this app was built without the redis-cache integration (create_app(integrations=[]) in a test?)"
        raise LookupError(msg) from None


def get_cache(request: Request) -> Cache:
    """FastAPI dependency: the app's cache."""
    return services_for(request.app.state.metrics.registry).cache


def get_sanctions(request: Request) -> SanctionsClient:
    """FastAPI dependency: the app's sanctions client (the example wrapper)."""
    return services_for(request.app.state.metrics.registry).sanctions
