"""An S3 bucket whose objects carry their SHA-256: every read is verified, large writes go in parts.

Each object is written with its SHA-256 (hex) in the metadata field ``sha256``; with ``transfer_checksums`` the
server also checks an S3 SHA-256 checksum of each request body on receipt. A read streams the body, hashes it and
raises :class:`ChecksumMismatchError` when the bytes do not match, so altered or truncated objects never pass as
good ones. An object larger than ``part_size_bytes`` is uploaded with a multipart upload, one part at a time: memory
stays around one part whatever the object's size.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from ._settings import ObjectStorageSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

CHECKSUM_FIELD = "sha256"
_CHUNK = 1024 * 1024

Tracker = Callable[[], AbstractContextManager[None]]


class ObjectStorageError(Exception):
    """The bucket could not be reached, or refused a call; the message says which call and why."""


class ChecksumMismatchError(ObjectStorageError):
    """The bytes read do not have the SHA-256 recorded for the object: altered, truncated or replaced."""


@dataclass(frozen=True)
class StoredObject:
    """An object in the bucket, as verified or written by this module."""

    key: str
    size: int
    sha256: str


class ObjectStore:
    """One bucket: ``put`` (multipart above the part size), verified ``get_bytes`` and ``download``, ``ping``."""

    def __init__(
        self, settings: ObjectStorageSettings, *, client: S3Client | None = None, track: Tracker | None = None
    ) -> None:
        if settings.bucket is None:
            msg = "no bucket is configured"
            raise ObjectStorageError(msg)
        self.settings = settings
        self.bucket = settings.bucket
        self.client = client or make_client(settings)
        self._track = track or nullcontext

    def ping(self) -> None:
        """Raise :class:`ObjectStorageError` unless the bucket exists and these credentials may use it."""
        with self._call("HeadBucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def put(self, key: str, source: Path | IO[bytes], content_type: str = "application/octet-stream") -> StoredObject:
        """Write ``source`` (a file path or a binary stream) to ``key`` with its SHA-256.

        A seekable source is read twice (hash, then upload, hashed again to catch a change in between); any
        other stream is first copied to a temporary file. Memory stays about one part, never the whole object.
        """
        if isinstance(source, Path):
            with source.open("rb") as stream:
                return self._put_seekable(key, stream, content_type)
        if source.seekable():
            return self._put_seekable(key, source, content_type)
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(source, spool, _CHUNK)
            spool.seek(0)
            return self._put_seekable(key, spool, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        """Write ``data`` to ``key`` in one request (for small objects; use :meth:`put` for files)."""
        digest = hashlib.sha256(data).hexdigest()
        with self._call(f"PutObject {key}"):
            self.client.put_object(Body=data, **self._write_args(key, digest, content_type))
        return StoredObject(key, len(data), digest)

    def head(self, key: str) -> StoredObject:
        """Size and recorded SHA-256 of ``key``, without reading it."""
        with self._call(f"HeadObject {key}"):
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        return StoredObject(key, response["ContentLength"], _recorded_sha256(key, response["Metadata"]))

    def get_bytes(self, key: str, max_bytes: int = 16 * 1024 * 1024) -> bytes:
        """The bytes of ``key``, verified against its SHA-256; objects over ``max_bytes`` are refused."""
        with self._call(f"GetObject {key}"):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            with closing(response["Body"]) as body:
                size = response["ContentLength"]
                if size > max_bytes:
                    msg = f"{key} is {size} bytes, over the {max_bytes} bytes get_bytes reads: use download()"
                    raise ObjectStorageError(msg)
                data = body.read()
            _verify(key, hashlib.sha256(data).hexdigest(), _recorded_sha256(key, response["Metadata"]))
        return data

    def download(self, key: str, destination: Path, expected_sha256: str | None = None) -> StoredObject:
        """Stream ``key`` to ``destination``, which appears (atomically) only if the SHA-256 matches.

        ``expected_sha256`` must also match when given (e.g. from metadata shipped with the service).
        """
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                stored = self._stream_to(key, out, expected_sha256)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(destination)
        finally:
            tmp.unlink(missing_ok=True)
        return stored

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error if it is not there)."""
        with self._call(f"DeleteObject {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def _stream_to(self, key: str, out: IO[bytes], expected_sha256: str | None) -> StoredObject:
        digest, size = hashlib.sha256(), 0
        with self._call(f"GetObject {key}"):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]
            try:
                recorded = _recorded_sha256(key, response["Metadata"])
                if expected_sha256 is not None:
                    _verify(key, recorded, expected_sha256, what="the recorded sha256")
                for chunk in body.iter_chunks(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            finally:
                body.close()
            _verify(key, digest.hexdigest(), recorded)
        return StoredObject(key, size, recorded)

    def _put_seekable(self, key: str, stream: IO[bytes], content_type: str) -> StoredObject:
        start = stream.tell()
        digest, size = _hash_stream(stream)
        stream.seek(start)
        if size <= self.settings.part_size_bytes:
            data = stream.read(size + 1)
            _verify(key, hashlib.sha256(data).hexdigest(), digest, what="the source (changed while uploading)")
            return self.put_bytes(key, data, content_type)
        with self._call(f"multipart upload {key}"):
            self._multipart(key, stream, digest, content_type)
        return StoredObject(key, size, digest)

    def _multipart(self, key: str, stream: IO[bytes], digest: str, content_type: str) -> None:
        upload_id = self.client.create_multipart_upload(**self._write_args(key, digest, content_type))["UploadId"]
        try:
            parts, rehash = self._upload_parts(key, upload_id, stream)
            _verify(key, rehash, digest, what="the source (changed while uploading)")
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _upload_parts(self, key: str, upload_id: str, stream: IO[bytes]) -> tuple[list[CompletedPartTypeDef], str]:
        parts: list[CompletedPartTypeDef] = []
        rehash = hashlib.sha256()
        checksum: dict[str, Any] = {"ChecksumAlgorithm": "SHA256"} if self.settings.transfer_checksums else {}
        while chunk := stream.read(self.settings.part_size_bytes):
            rehash.update(chunk)
            number = len(parts) + 1
            response = self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **checksum
            )
            part: CompletedPartTypeDef = {"ETag": response["ETag"], "PartNumber": number}
            if "ChecksumSHA256" in response:
                part["ChecksumSHA256"] = response["ChecksumSHA256"]
            parts.append(part)
            del chunk, response  # let the part go before reading the next one
        return parts, rehash.hexdigest()

    def _abort(self, key: str, upload_id: str) -> None:
        # The original error matters more; a bucket lifecycle rule cleans up uploads left incomplete.
        with suppress(BotoCoreError, ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def _write_args(self, key: str, digest: str, content_type: str) -> dict[str, Any]:
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
            "Metadata": {CHECKSUM_FIELD: digest},
        }
        if self.settings.transfer_checksums:
            args["ChecksumAlgorithm"] = "SHA256"
        if self.settings.server_side_encryption != "none":
            args["ServerSideEncryption"] = self.settings.server_side_encryption
        if self.settings.kms_key_id is not None:
            args["SSEKMSKeyId"] = self.settings.kms_key_id
        return args

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Count the call and turn botocore's errors into one error that names the bucket and the call."""
        with self._track():
            try:
                yield
            except ClientError as exc:
                error = exc.response.get("Error", {})
                msg = f"{what} on bucket {self.bucket} failed: {error.get('Code', '?')} {error.get('Message', '')}"
                raise ObjectStorageError(msg.rstrip()) from exc
            except BotoCoreError as exc:
                msg = f"{what} on bucket {self.bucket} failed: {exc}"
                raise ObjectStorageError(msg) from exc


def make_client(settings: ObjectStorageSettings) -> S3Client:
    """A boto3 S3 client with the configured endpoint, credentials, timeouts and retries."""
    config = Config(
        region_name=settings.region,
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.addressing_style},
        # Checksums are sent where this module asks for them (SHA-256), not CRC32 on every request:
        # several S3-compatible servers reject the newer default.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(
        aws_access_key_id=_secret(settings.access_key_id),
        aws_secret_access_key=_secret(settings.secret_access_key),
        region_name=settings.region,
    )
    return session.client("s3", endpoint_url=settings.endpoint_url, config=config)


def create_bucket(settings: ObjectStorageSettings, name: str) -> None:
    """Create bucket ``name`` in the configured region (S3 wants a location constraint outside us-east-1)."""
    client = make_client(settings)
    if settings.region == "us-east-1":  # the one region where S3 refuses a location constraint
        client.create_bucket(Bucket=name)
    else:
        where = cast("BucketLocationConstraintType", settings.region)
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": where})


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def _hash_stream(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _recorded_sha256(key: str, metadata: dict[str, str]) -> str:
    recorded = metadata.get(CHECKSUM_FIELD)
    if recorded is None:
        msg = f"{key} has no {CHECKSUM_FIELD} metadata, so it cannot be verified: write it with this module"
        raise ChecksumMismatchError(msg)
    return recorded


def _verify(key: str, actual: str, expected: str, what: str = "the bytes read") -> None:
    if actual != expected:
        msg = f"{key}: sha256 of {what} is {actual}, expected {expected}; refusing it"
        raise ChecksumMismatchError(msg)
