"""Example use of the cache: a client of a paid sanctions screening API, each answer reused for a while.

The API contract this wrapper expects (adapt ``_call`` to your provider's):
``POST <url>/v1/screen`` with ``{"name": ..., "country": ...}`` and a bearer token, answering
``{"hit": bool, "matches": [{"list": str, "entry_id": str, "score": float}, ...]}``.
The name travels in the body, never in the URL, so it stays out of access logs; the cache key is a digest.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..integrations import IntegrationContext
from ._cache import Cache
from .settings import SanctionsSettings

NAMESPACE = "sanctions"
INTEGRATION = "sanctions-api"


class SanctionsError(Exception):
    """The screening API failed or answered something unreadable; nothing was cached."""


class SanctionsMatch(BaseModel):
    """One list entry the screened party may be."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    list_name: str = Field(alias="list")
    entry_id: str
    score: float = Field(ge=0, le=1)


class ScreeningResult(BaseModel):
    """What the API said about one name and country."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    hit: bool
    matches: tuple[SanctionsMatch, ...] = ()


class SanctionsClient:
    """Screens a party against sanctions lists; an answer is reused for ``ttl_seconds``, and concurrent
    screenings of the same party make one paid call."""

    def __init__(self, settings: SanctionsSettings, cache: Cache, context: IntegrationContext) -> None:
        self.settings = settings
        self.cache = cache
        self.context = context

    def screen(self, name: str, country: str) -> ScreeningResult:
        """Screen ``name`` (whitespace normalised) in ``country`` (ISO 3166 alpha-2)."""
        party = " ".join(name.split())
        country = country.strip().upper()
        if not party or len(country) != 2 or not country.isalpha():  # noqa: PLR2004 -- ISO 3166 alpha-2
            msg = "screen needs a name and a two-letter country code"
            raise ValueError(msg)
        return self.cache.get_or_compute(
            json.dumps([party, country]),
            lambda: self._call(party, country),
            returns=ScreeningResult,
            ttl_seconds=self.settings.ttl_seconds,
            cost_per_call=self.settings.cost_per_call,
            namespace=NAMESPACE,
        )

    def _call(self, name: str, country: str) -> ScreeningResult:
        with self.context.track(INTEGRATION):
            status, body = self._post("/v1/screen", {"name": name, "country": country})
            if status != 200:  # noqa: PLR2004
                msg = f"the sanctions API answered HTTP {status}"
                raise SanctionsError(msg)
            try:
                return ScreeningResult.model_validate_json(body)
            except ValidationError as exc:
                msg = f"the sanctions API answered an unreadable body ({exc.error_count()} problem(s))"
                raise SanctionsError(msg) from None

    def _post(self, path: str, payload: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 -- the URL is configuration, not input
            self.settings.url.rstrip("/") + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        if self.settings.api_key is not None:
            request.add_header("Authorization", f"Bearer {self.settings.api_key.get_secret_value()}")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            exc.close()  # an HTTPError holds the connection open until closed
            return exc.code, b""
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            msg = f"the sanctions API at {self.settings.url} did not answer: {reason}"
            raise SanctionsError(msg) from None
