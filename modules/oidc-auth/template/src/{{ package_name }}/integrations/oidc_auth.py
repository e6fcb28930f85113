"""OIDC/JWT authentication: added by the oidc-auth module (the code is in ``../oidc_auth/``).

With ``<PREFIX>OIDC_ISSUER`` set, callers prove who they are with the provider's access tokens instead of
API keys, and ``/readyz`` is ready only once the provider's signing keys are known (without them nobody
could be admitted). Unset, the module is inactive and says so in the log: the API keys stay in use.
"""

from __future__ import annotations

import asyncio

from ..logs import get_logger
from ..oidc_auth import JwksCache, JwksError, OidcAuthenticator, OidcSettings
from . import Integration, IntegrationContext

log = get_logger(__name__)


def integration(context: IntegrationContext) -> Integration:
    """The OIDC authenticator and its readiness check, or nothing when no issuer is configured."""
    settings = OidcSettings()
    if settings.issuer is None:

        async def say_inactive() -> None:  # at service start, not in every CLI command that discovers modules
            log.warning("oidc_inactive", reason="OIDC_ISSUER is not set: callers still authenticate with API keys")

        return Integration("oidc-auth", startup=say_inactive)
    jwks = JwksCache(settings, context.metrics.registry)

    async def fetch_keys() -> None:
        try:
            await asyncio.to_thread(jwks.refresh)
        except JwksError as exc:  # the readiness check reports it; tokens retry the fetch
            log.error("oidc_jwks_unavailable", reason=str(exc))

    async def keys_known() -> None:
        await asyncio.to_thread(jwks.ensure)

    return Integration(
        "oidc-auth",
        check=keys_known,
        startup=fetch_keys,
        check_timeout_seconds=2 * settings.http_timeout_seconds + 1,
        authenticator=OidcAuthenticator(settings, jwks, context.metrics.registry),
    )
