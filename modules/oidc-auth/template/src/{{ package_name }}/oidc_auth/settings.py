"""Settings of the oidc-auth module: ``<PREFIX>OIDC_*`` environment variables.

Unset ``ISSUER`` leaves the module inactive (the service keeps its API keys); set, ``AUDIENCE`` is required.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .._meta import ENV_PREFIX
from ..keys import Role

PREFIX = f"{ENV_PREFIX}OIDC_"
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
"""Algorithms a token may be signed with: public-key ones only. ``none`` and the HMAC family (HS256...) are
never accepted: with a shared secret anyone who can verify can sign, and "HS256 with the public key as the
secret" is the classic way to forge a token for a verifier that accepts both."""

DEFAULT_ROLE_MAPPING: dict[str, tuple[Role, ...]] = {
    "scorer": ("scorer",),
    "reviewer": ("reviewer",),
    "auditor": ("auditor",),
}
"""Groups named like the service's roles grant them; admin is never granted by default."""


class OidcSettings(BaseSettings):
    """Which identity provider to trust, for which audience, and how its claims map to the service's roles."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    issuer: str | None = Field(
        default=None, description="The provider's issuer URL, exactly as in the tokens' `iss`; unset: inactive."
    )
    audience: str | None = Field(default=None, description="The `aud` tokens must carry (this service's client id).")
    jwks_url: str | None = Field(
        default=None,
        description="Where the signing keys are; unset: read from <issuer>/.well-known/openid-configuration.",
    )
    algorithms: tuple[str, ...] = Field(
        default=("RS256", "ES256", "EdDSA"), min_length=1, description="Signature algorithms accepted."
    )
    leeway_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew allowed on exp, nbf and iat.")
    jwks_cache_seconds: int = Field(default=3600, ge=10, description="How long fetched keys are used before a refresh.")
    jwks_min_refresh_seconds: int = Field(
        default=30, ge=1, description="An unknown key id refetches the keys at most this often (rotation, not abuse)."
    )
    http_timeout_seconds: float = Field(default=3.0, gt=0, le=30, description="Timeout of a discovery or JWKS fetch.")
    name_claim: str = Field(default="sub", min_length=1, description="Claim recorded as the caller's name.")
    roles_claim: str = Field(
        default="roles", min_length=1, description="Claim (dots for nesting: realm_access.roles) holding the groups."
    )
    role_mapping: dict[str, tuple[Role, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_ROLE_MAPPING),
        description='Group in the token -> roles of the service, JSON: {"credit-officers": ["scorer"]}.',
    )

    @field_validator("algorithms")
    @classmethod
    def _public_key_algorithms_only(cls, algorithms: tuple[str, ...]) -> tuple[str, ...]:
        refused = [a for a in algorithms if a not in ASYMMETRIC]
        if refused:
            msg = f"{', '.join(refused)} refused: only public-key algorithms ({', '.join(sorted(ASYMMETRIC))})"
            raise ValueError(msg)
        return algorithms

    @field_validator("issuer", "jwks_url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            msg = "use an https:// URL (plain http only on loopback, for tests)"
            raise ValueError(msg)
        return url

    @model_validator(mode="after")
    def _audience_with_issuer(self) -> Self:
        if self.issuer is not None and not self.audience:
            msg = f"set {PREFIX}AUDIENCE to this service's client id: tokens for other clients must not be accepted"
            raise ValueError(msg)
        return self

    @property
    def discovery_url(self) -> str:
        """The provider's OpenID configuration document."""
        return f"{(self.issuer or '').rstrip('/')}/.well-known/openid-configuration"
