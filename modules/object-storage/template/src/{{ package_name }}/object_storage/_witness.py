"""The audit witness in the bucket (optional): each signed chain head an object under S3 Object Lock.

With ``<PREFIX>OBJECT_STORAGE_WITNESS_PREFIX`` set, the service writes each signed chain head (see the
service's ``audit/_witness.py``) as its own object under that prefix, in COMPLIANCE mode until
``WITNESS_RETENTION_DAYS`` from now: nobody, the bucket's owner included, can delete or overwrite that
version before then. ``audit verify`` reads every version under the prefix (so a newer version or a
delete marker put over a head hides nothing). The bucket must have been created with Object Lock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..audit import AuditError, SignedHead, canonical_json
from ._store import ObjectStorageError, ObjectStore

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectVersionTypeDef


class ObjectLockWitness:
    """:class:`~..audit.Witness` as write-once objects in a bucket with Object Lock."""

    def __init__(self, store: ObjectStore, prefix: str, retention_days: int) -> None:
        self.store = store
        self.prefix = prefix
        self.retention_days = retention_days
        self.where = f"s3://{store.bucket}/{prefix}"

    def require_object_lock(self) -> None:
        """Raise ``AuditError`` unless the bucket has Object Lock enabled (without it a head could be deleted)."""
        try:
            with self.store._call("GetObjectLockConfiguration"):
                found = self.store.client.get_object_lock_configuration(Bucket=self.store.bucket)
        except ObjectStorageError as exc:
            raise AuditError(f"the audit witness needs Object Lock on the bucket: {exc}") from exc
        if found.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            bucket = self.store.bucket
            raise AuditError(f"bucket {bucket} has no Object Lock: the audit witness needs a bucket created with it")

    def append(self, head: SignedHead) -> None:
        """One object per head, locked (COMPLIANCE) for the retention; keys sort by size."""
        body = (canonical_json(head.to_json()) + "\n").encode()
        key = f"{self.prefix}{head.size:020d}-{hashlib.sha256(body).hexdigest()[:16]}.json"
        until = datetime.now(UTC) + timedelta(days=self.retention_days)
        try:
            with self.store._call("PutObject"):
                self.store.client.put_object(
                    Bucket=self.store.bucket,
                    Key=key,
                    Body=body,
                    ContentType="application/json",
                    ChecksumAlgorithm="SHA256",  # S3 wants a checksum on every Object Lock write
                    ObjectLockMode="COMPLIANCE",
                    ObjectLockRetainUntilDate=until,
                )
        except ObjectStorageError as exc:
            raise AuditError(f"cannot write a head to the audit witness {self.where}: {exc}") from exc

    def heads(self) -> list[SignedHead]:
        """Every version of every object under the prefix, in key order."""
        try:
            versions = self._versions()
            heads = [self._read(version) for version in versions]
        except ObjectStorageError as exc:
            raise AuditError(f"cannot read the audit witness {self.where}: {exc}") from exc
        return heads

    def close(self) -> None:
        """Nothing to release (the client's connections close with it)."""

    def _versions(self) -> list[ObjectVersionTypeDef]:
        versions: list[ObjectVersionTypeDef] = []
        with self.store._call("ListObjectVersions"):
            pages = self.store.client.get_paginator("list_object_versions").paginate(
                Bucket=self.store.bucket, Prefix=self.prefix
            )
            for page in pages:
                versions.extend(page.get("Versions", []))
        return sorted(versions, key=lambda v: (v.get("Key", ""), str(v.get("LastModified", ""))))

    def _read(self, version: ObjectVersionTypeDef) -> SignedHead:
        key, version_id = version.get("Key", ""), version.get("VersionId", "null")
        with self.store._call("GetObject"):
            body = self.store.client.get_object(Bucket=self.store.bucket, Key=key, VersionId=version_id)["Body"].read()
        try:
            data: Any = json.loads(body)
            return SignedHead.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{self.where}: {key} (version {version_id}) is not a signed head ({exc})") from exc
