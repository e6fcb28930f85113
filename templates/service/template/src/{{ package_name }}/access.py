"""Who is calling and what they may do: authentication and roles for every endpoint.

Every endpoint except ``/healthz``, ``/readyz``, ``/metrics`` (and the static ``/console`` page and the
OpenAPI document, which hold no data) depends on :func:`require`, which reads the credential from
``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` and asks the app's :class:`Authenticator`
(``app.state.authenticator``) who it belongs to: no or an unknown credential is a 401, a caller without
the endpoint's role a 403. The caller's name is recorded on every decision and review.

The default authenticator checks API keys (:mod:`.keys`). To use another identity provider (the oidc-auth
module), implement :class:`Authenticator` (for example: validate a JWT, map its groups to roles) and return
it as the ``authenticator`` of an integration (see :mod:`.integrations`); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .keys import KeyStore, KeyStoreError, Role
from .logs import get_logger

log = get_logger(__name__)
_BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")
UNAUTHORISED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credential, or one that is unknown or revoked."},
    403: {"description": "The caller's key does not have the role this endpoint needs."},
}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the name recorded in the audit trail and the roles it holds."""

    name: str
    roles: frozenset[str]


class Authenticator(Protocol):
    """Turns a credential into a caller; the one seam an identity provider module replaces."""

    hint: str
    """What a refused caller should send, shown with the 401."""

    def authenticate(self, credential: str) -> Caller | None:
        """The caller ``credential`` proves, or None when it proves nobody."""
        ...


class ApiKeyAuthenticator:
    """The default: API keys with roles, hashed at rest in the key file (see :mod:`.keys`)."""

    hint = (
        "send a valid key as `Authorization: Bearer <key>` or `X-API-Key: <key>` "
        "(create one with `keys create --role ROLE --name NAME`)"
    )

    def __init__(self, store: KeyStore) -> None:
        self.store = store

    def authenticate(self, credential: str) -> Caller | None:
        """The key's holder, or None; an unreadable key file refuses everyone (and says so in the log)."""
        try:
            key = self.store.find(credential)
        except KeyStoreError as exc:
            log.error("api_keys_unreadable", reason=str(exc))
            return None
        return Caller(key.name, frozenset(key.roles)) if key else None


def _credential(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    api_key: Annotated[str | None, Security(_API_KEY)],
) -> str | None:
    return bearer.credentials if bearer is not None else api_key


def require(*roles: Role) -> Callable[..., Caller]:
    """A dependency that admits callers holding any of ``roles`` and returns who they are."""

    def dependency(request: Request, credential: Annotated[str | None, Depends(_credential)]) -> Caller:
        authenticator: Authenticator = request.app.state.authenticator
        caller = authenticator.authenticate(credential) if credential else None
        if caller is None:
            raise HTTPException(401, authenticator.hint, headers={"WWW-Authenticate": "Bearer"})
        if not caller.roles & set(roles):
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}; {caller.name} lacks it")
        return caller

    return dependency
