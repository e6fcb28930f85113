"""S3-compatible object storage (added by the object-storage module): verified reads, multipart writes, SSE.

Use it from service code with the same settings the integration reads::

    store = ObjectStore(ObjectStorageSettings())
    stored = store.put("documents/application-42.pdf", Path("application-42.pdf"), "application/pdf")
    data = store.get_bytes(stored.key)  # raises ChecksumMismatchError if the bytes were altered
"""

from ._model import ModelFetch, expected_sha256, fetch_model
from ._settings import ObjectStorageSettings
from ._store import (
    ChecksumMismatchError,
    ObjectStorageError,
    ObjectStore,
    StoredObject,
    create_bucket,
    make_client,
)
from ._witness import ObjectLockWitness

__all__ = [
    "ChecksumMismatchError",
    "ModelFetch",
    "ObjectLockWitness",
    "ObjectStorageError",
    "ObjectStorageSettings",
    "ObjectStore",
    "StoredObject",
    "create_bucket",
    "expected_sha256",
    "fetch_model",
    "make_client",
]
