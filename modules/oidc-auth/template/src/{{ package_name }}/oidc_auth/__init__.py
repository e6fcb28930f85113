"""OIDC/JWT authentication in place of the API keys (added by the oidc-auth module).

``integrations/oidc_auth.py`` builds the :class:`OidcAuthenticator` at start-up when ``<PREFIX>OIDC_ISSUER``
is set and hands it to the service as its authenticator: from then on every endpoint that needs a role
takes ``Authorization: Bearer <access token>`` of that provider, and API keys are refused.
"""

from __future__ import annotations

from ._authenticator import RESULTS, OidcAuthenticator
from ._jwks import JwksCache, JwksError
from .settings import ASYMMETRIC, OidcSettings

__all__ = ["ASYMMETRIC", "RESULTS", "JwksCache", "JwksError", "OidcAuthenticator", "OidcSettings"]
