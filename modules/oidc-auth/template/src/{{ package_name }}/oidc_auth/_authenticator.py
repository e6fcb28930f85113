"""OIDC access tokens (JWTs) as the service's credentials, through its :class:`Authenticator` seam.

A token is accepted when its header names an allowed public-key algorithm and a key of the provider's JWKS,
its signature verifies with that key, ``iss`` is the issuer, ``aud`` holds the audience, and ``exp``,
``nbf`` and ``iat`` hold within the clock-skew leeway. The caller's name is ``name_claim`` (``sub``), its
roles the service roles its groups (``roles_claim``) map to; a valid token whose groups map to no role
authenticates a caller without roles, who gets a 403. Every refusal is counted by reason and logged
without the token.
"""

from __future__ import annotations

from typing import Any

import jwt
from prometheus_client import CollectorRegistry, Counter

from ..access import Caller
from ..logs import get_logger
from ..tracing import tracer
from ._jwks import JwksCache
from .settings import OidcSettings

log = get_logger(__name__)
_MAX_NAME = 200

RESULTS = (
    "accepted",
    "malformed",
    "algorithm_refused",
    "unknown_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "wrong_audience",
    "wrong_issuer",
    "missing_claim",
    "invalid",
)
_REASONS: tuple[tuple[type[Exception], str], ...] = (  # the most specific first
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.DecodeError, "malformed"),
)


class OidcAuthenticator:
    """Validates bearer tokens issued by the configured provider; thread-safe."""

    hint = "send a valid access token of the configured identity provider as `Authorization: Bearer <token>`"

    def __init__(self, settings: OidcSettings, jwks: JwksCache, registry: CollectorRegistry) -> None:
        self.settings = settings
        self.jwks = jwks
        self.tokens = Counter("oidc_tokens", "Bearer tokens checked, by result.", ["result"], registry=registry)
        for result in RESULTS:
            self.tokens.labels(result)

    def authenticate(self, credential: str) -> Caller | None:
        """The caller the token proves, or None (the reason is counted and logged)."""
        with tracer.start_as_current_span("oidc.authenticate") as span:
            caller, result = self._check(credential)
            span.set_attribute("result", result)
        self.tokens.labels(result).inc()
        if caller is None:
            log.info("oidc_token_refused", reason=result)
        return caller

    def _check(self, token: str) -> tuple[Caller | None, str]:
        key, algorithm = self._key(token)
        if key is None:
            return None, algorithm
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud", self.settings.name_claim]},
            )
        except jwt.PyJWTError as exc:
            return None, next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "invalid")
        name = claims.get(self.settings.name_claim)
        if not isinstance(name, str) or not name or len(name) > _MAX_NAME:
            return None, "missing_claim"
        return Caller(name, self._roles(claims)), "accepted"

    def _key(self, token: str) -> tuple[jwt.PyJWK | None, str]:
        """The provider's key for the token and its algorithm, or None and why not (from the header alone)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            return None, "malformed"
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.settings.algorithms:
            return None, "algorithm_refused"
        kid = header.get("kid")
        key = self.jwks.key(kid if isinstance(kid, str) else None)
        if key is None:
            return None, "unknown_key"
        if key.algorithm_name != algorithm:  # PyJWT verifies with the key's algorithm: they must agree
            return None, "algorithm_refused"
        return key, algorithm

    def _roles(self, claims: dict[str, Any]) -> frozenset[str]:
        groups = _claim(claims, self.settings.roles_claim)
        if isinstance(groups, str):
            groups = groups.split()
        if not isinstance(groups, list):
            return frozenset()
        mapping = self.settings.role_mapping
        return frozenset(role for group in groups if isinstance(group, str) for role in mapping.get(group, ()))


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
