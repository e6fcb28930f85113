"""The provider's signing keys (JWKS), fetched and cached.

Keys are fetched at start-up (or on first use), used for ``jwks_cache_seconds``, then fetched again. A token
signed with a key id the cache does not know triggers a refetch (the provider rotated its keys), at most
once per ``jwks_min_refresh_seconds``, so a stream of tokens with made-up key ids cannot make the service
hammer the provider. When a refetch fails, the keys already known stay in use.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt
from prometheus_client import CollectorRegistry, Counter, Gauge

from ..logs import get_logger
from .settings import OidcSettings

log = get_logger(__name__)
_MAX_DOCUMENT_BYTES = 1_000_000


class JwksError(Exception):
    """The provider's keys could not be fetched or read; the message says which URL and why."""


class JwksCache:
    """Signing keys by key id; thread-safe."""

    def __init__(
        self, settings: OidcSettings, registry: CollectorRegistry, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._jwks_url = settings.jwks_url
        self._last_error: str | None = None
        self.fetches = Counter("oidc_jwks_fetches", "JWKS fetches by result.", ["result"], registry=registry)
        self.key_count = Gauge("oidc_jwks_keys", "Signing keys known.", registry=registry)
        self.key_count.set_function(lambda: float(len(self._keys)))

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key ``kid`` names (refetching when it is unknown or the cache is stale), or None."""
        now = self._clock()
        with self._lock:
            stale = self._fetched_at is None or now - self._fetched_at >= self.settings.jwks_cache_seconds
            known = kid is not None and kid in self._keys
            if stale or not known:
                self._refresh_if_allowed(now)
            if kid is None:
                return next(iter(self._keys.values())) if len(self._keys) == 1 else None
            return self._keys.get(kid)

    def refresh(self) -> None:
        """Fetch the keys now (start-up, readiness); :class:`JwksError` if that fails."""
        with self._lock:
            self._fetch(self._clock())

    def ensure(self) -> None:
        """Raise :class:`JwksError` unless a key is known; fetches (rate-limited) when none is."""
        with self._lock:
            if self._keys:
                return
            self._refresh_if_allowed(self._clock())
            if not self._keys:
                msg = f"no signing key known yet ({self._last_error or 'not fetched'})"
                raise JwksError(msg)

    def _refresh_if_allowed(self, now: float) -> None:
        """Fetch unless the last try was under ``jwks_min_refresh_seconds`` ago (then keep the keys known)."""
        if self._tried_at is not None and now - self._tried_at < self.settings.jwks_min_refresh_seconds:
            return
        try:
            self._fetch(now)
        except JwksError as exc:
            log.warning("oidc_jwks_fetch_failed", reason=str(exc), keys_kept=len(self._keys))

    def _fetch(self, now: float) -> None:
        self._tried_at = now
        try:
            url = self._jwks_url or self._discover()
            document = _get_json(url, self.settings.http_timeout_seconds)
            keys = _parse(document, url)
        except JwksError as exc:
            self.fetches.labels("error").inc()
            self._last_error = str(exc)
            raise
        self._jwks_url = url
        self._keys, self._fetched_at = keys, now
        self.fetches.labels("ok").inc()
        log.info("oidc_jwks_fetched", keys=sorted(keys))

    def _discover(self) -> str:
        document = _get_json(self.settings.discovery_url, self.settings.http_timeout_seconds)
        url = document.get("jwks_uri")
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            msg = f"{self.settings.discovery_url} has no usable jwks_uri"
            raise JwksError(msg)
        return url


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 -- configured URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(_MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        msg = f"{url} answered HTTP {exc.code}"
        raise JwksError(msg) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        msg = f"{url} did not answer: {reason}"
        raise JwksError(msg) from None
    if len(body) > _MAX_DOCUMENT_BYTES:
        msg = f"{url} answered more than {_MAX_DOCUMENT_BYTES} bytes"
        raise JwksError(msg)
    try:
        document = json.loads(body)
    except ValueError:
        msg = f"{url} did not answer JSON"
        raise JwksError(msg) from None
    if not isinstance(document, dict):
        msg = f"{url} did not answer a JSON object"
        raise JwksError(msg)
    return document


def _parse(document: dict[str, Any], url: str) -> dict[str, jwt.PyJWK]:
    """Signing keys with a key id; keys for encryption or of unsupported types are skipped."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys") or []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError) as exc:
            log.warning("oidc_jwks_key_skipped", kid=entry["kid"], reason=str(exc))
    if not keys:
        msg = f"{url} holds no usable signing key"
        raise JwksError(msg)
    return keys
