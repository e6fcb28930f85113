"""The vendor's REST API: added by the vendor-api module (the code is in ``../vendor_api/``).

The vendor is optional: while it is down, in a maintenance window, out of budget or behind an open circuit,
``/readyz`` reports ``vendor-api`` as ``degraded: ...`` and the service stays ready, its calls using their
fallbacks. Settings: ``<PREFIX>VENDOR_API_*``.
"""

from __future__ import annotations

from ..vendor_api import VendorApiSettings, VendorClient, register
from . import Integration, IntegrationContext


def integration(context: IntegrationContext) -> Integration:
    """Build the app's vendor client (no connection yet) and join its check to ``/readyz`` as optional."""
    settings = VendorApiSettings()
    client = VendorClient(settings, context.metrics.registry, context)
    register(context.metrics.registry, client)
    return Integration(
        "vendor-api",
        check=client.health,
        shutdown=client.aclose,
        check_timeout_seconds=max(1.0, 2 * (settings.connect_timeout_seconds + settings.read_timeout_seconds)),
        required=False,
    )
