"""Fetch the model artifact from the bucket to the service's model path before the model loads.

The trust anchor is the metadata JSON shipped beside the model path (``credit-risk.json`` for
``credit-risk.skops``): the object must carry that sha256, its bytes must hash to it, and only then does the
file appear at the model path. The service's own loader checks the same sha256 again and the model inventory's
approval of it, so a model the bucket holds but the release did not ship never serves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ._store import ChecksumMismatchError, ObjectStorageError, ObjectStore

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ModelFetch:
    """What :func:`fetch_model` did: ``downloaded`` is False when the file on disk was already the right one."""

    path: Path
    sha256: str
    downloaded: bool


def fetch_model(store: ObjectStore, key: str, model_path: Path) -> ModelFetch:
    """Put the object ``key`` at ``model_path`` if the file there is missing or not the expected model."""
    expected = expected_sha256(model_path)
    if model_path.is_file() and _file_sha256(model_path) == expected:
        return ModelFetch(model_path, expected, downloaded=False)
    recorded = store.head(key).sha256  # a different model in the bucket fails here, before any download
    if recorded != expected:
        metadata = model_path.with_suffix(".json").name
        msg = f"{key} in the bucket has sha256 {recorded}, but {metadata} expects {expected}; refusing it"
        raise ChecksumMismatchError(msg)
    store.download(key, model_path, expected_sha256=expected)
    return ModelFetch(model_path, expected, downloaded=True)


def expected_sha256(model_path: Path) -> str:
    """The sha256 the metadata JSON beside ``model_path`` records for the model."""
    metadata_path = model_path.with_suffix(".json")
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"cannot read the model metadata {metadata_path} (it ships with the service): {exc}"
        raise ObjectStorageError(msg) from exc
    sha256 = metadata.get("sha256") if isinstance(metadata, dict) else None
    if not isinstance(sha256, str) or len(sha256) != 64:  # noqa: PLR2004 -- hex digits of a SHA-256
        msg = f"{metadata_path} records no sha256 for the model"
        raise ObjectStorageError(msg)
    return sha256


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
