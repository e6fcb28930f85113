"""Redis cache for expensive lookups: added by the redis-cache module (the code is in ``../redis_cache/``).

The cache is optional: when Redis is down, ``/readyz`` reports ``redis-cache`` as ``degraded: ...`` and the
service stays ready, calling the expensive functions directly. Settings: ``<PREFIX>REDIS_CACHE_*``.
"""

from __future__ import annotations

from ..redis_cache import Cache, CacheServices, RedisCacheSettings, SanctionsClient, SanctionsSettings, register
from . import Integration, IntegrationContext


def integration(context: IntegrationContext) -> Integration:
    """Build the app's cache (no connection yet) and join its Redis check to ``/readyz`` as optional."""
    settings = RedisCacheSettings()
    cache = Cache(settings, context.metrics.registry)
    register(context.metrics.registry, CacheServices(cache, SanctionsClient(SanctionsSettings(), cache, context)))
    return Integration(
        "redis-cache",
        check=cache.health,
        shutdown=cache.aclose,
        check_timeout_seconds=max(1.0, 4 * (settings.connect_timeout_seconds + settings.socket_timeout_seconds)),
        required=False,
    )
