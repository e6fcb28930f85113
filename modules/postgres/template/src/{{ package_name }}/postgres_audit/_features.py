"""Feature look-ups by customer id, bounded by a statement timeout so a slow database cannot stall scoring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.errors import QueryCanceled
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from ..audit import canonical_json
from ._engine import DatabaseError, Track, translated, untracked


class FeatureLookupError(DatabaseError):
    """A look-up failed or ran past its timeout; the caller decides without these features."""


class FeatureStore:
    """Reads the precomputed features of one customer from ``customer_features``."""

    def __init__(self, engine: Engine, *, timeout_ms: int, track: Track = untracked) -> None:
        self.engine = engine
        self.timeout_ms = timeout_ms
        self._track = track

    def lookup(self, customer_id: str) -> Mapping[str, Any] | None:
        """The features stored for ``customer_id``, or None when there are none.

        Raises :class:`FeatureLookupError` after ``timeout_ms`` (the message never names the customer).
        """
        try:
            with self._track(), translated("looking up customer features"), self.engine.begin() as conn:
                conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(self.timeout_ms)})
                row = conn.execute(
                    text("SELECT features FROM customer_features WHERE customer_id = :id"), {"id": customer_id}
                ).one_or_none()
        except DatabaseError as exc:
            cause = exc.__cause__
            if isinstance(cause, OperationalError) and isinstance(cause.orig, QueryCanceled):
                raise FeatureLookupError(f"customer feature look-up timed out after {self.timeout_ms} ms") from exc
            raise FeatureLookupError(str(exc)) from exc
        if row is None:
            return None
        features = row[0]
        if not isinstance(features, dict):
            raise FeatureLookupError("customer_features.features must hold a JSON object")
        return features

    def put(self, customer_id: str, features: Mapping[str, Any]) -> None:
        """Store (or replace) the features of ``customer_id`` (loading jobs and tests)."""
        with self._track(), translated("storing customer features"), self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customer_features (customer_id, features) VALUES (:id, CAST(:f AS jsonb)) "
                    "ON CONFLICT (customer_id) DO UPDATE SET features = EXCLUDED.features, updated_at = now()"
                ),
                {"id": customer_id, "f": canonical_json(dict(features))},
            )
