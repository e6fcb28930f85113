"""Signed chain heads kept outside the trail, so that truncating or rewriting the trail shows up.

The trail's own checkpoints live in the store an attacker with write access edits: deleting the newest
records with their checkpoint rows, or rewriting records and recomputing every later hash, leaves a
chain that verifies. So the service also signs its chain head (size, head record id and hash, time, key
id) with an Ed25519 key kept apart from the trail, as certificate transparency signs its tree heads
(RFC 9162, section 4.10), and appends it to a *witness*: by default a separate file opened with
``O_APPEND`` and synced, meant to live on another volume with ``chattr +a`` (append-only) set, so the
trail's writer can add heads but never rewrite or remove one. A head is written every N records or T
seconds (whichever comes first), when the store opens and when it closes.

``audit verify`` then checks every witnessed head's signature and that the trail still holds, at each
witnessed size, the record with that id and hash: a trail shorter than a head was truncated, a record
that differs was rewritten (between the last head that still matches and that one). Records written
after the latest head are not protected; verify reports how many.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._chain import canonical_json
from ._store import AuditError

HEAD_FORMAT = "audit-head/1"  # signed with every head: a signature never verifies as something else
_PUBLIC_KEY_TAG = "ed25519"


@dataclass(frozen=True)
class SignedHead:
    """The chain head at one moment: the trail held ``size`` records, the last one ``head_id``/``head_hash``."""

    size: int
    head_id: str
    head_hash: str
    time: str
    key_id: str
    signature: str = ""  # base64 Ed25519 signature over :meth:`signed_bytes`

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, with the format tag, canonically encoded."""
        fields = {k: v for k, v in self.to_json().items() if k != "signature"}
        return canonical_json({"format": HEAD_FORMAT, **fields}).encode()

    def to_json(self) -> dict[str, Any]:
        """The head as one JSON object (a line of the witness file)."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedHead:
        """Read a head written by :meth:`to_json`; ``KeyError``/``ValueError``/``TypeError`` when malformed."""
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            msg = "size must be a positive integer"
            raise ValueError(msg)
        fields = ("head_id", "head_hash", "time", "key_id", "signature")
        values = [data[name] for name in fields]
        if not all(isinstance(value, str) for value in values):
            msg = "head_id, head_hash, time, key_id and signature must be strings"
            raise TypeError(msg)
        return cls(size, *values)

    def describe(self) -> str:
        """How messages name this head."""
        return f"the head witnessed at {self.time} (record {self.size}, {self.head_hash[:12]}...)"


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(public.public_bytes_raw()).hexdigest()[:16]


class WitnessKey:
    """The private key that signs chain heads (read from its own file, never from the trail)."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = key_id(private.public_key())

    def sign(self, size: int, head_id: str, head_hash: str) -> SignedHead:
        """A signed head for the record ``size`` (``head_id``, ``head_hash``), timed now."""
        unsigned = SignedHead(size, head_id, head_hash, datetime.now(UTC).isoformat(), self.key_id)
        signature = base64.b64encode(self._private.sign(unsigned.signed_bytes())).decode()
        return SignedHead(size, head_id, head_hash, unsigned.time, self.key_id, signature)


def public_keys_path(key_path: Path) -> Path:
    """Where the public keys that verify heads signed with ``key_path`` are listed (``.pub`` beside it)."""
    return key_path.with_suffix(".pub")


def create_key(key_path: Path, public_path: Path | None = None) -> str:
    """Write a new private key to ``key_path`` (mode 0600, never overwritten); return its key id.

    Its public key is *appended* to the public key file, so heads signed with an earlier key still
    verify after a rotation.
    """
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AuditError(
            f"a witness key already exists at {key_path}: to rotate it, move it away first "
            "(keep its public key listed so older heads still verify)"
        ) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    public = private.public_key()
    raw = base64.b64encode(public.public_bytes_raw()).decode()
    _append_line(public_path or public_keys_path(key_path), f"{_PUBLIC_KEY_TAG} {raw} {key_id(public)}")
    return key_id(public)


def load_key(key_path: Path) -> WitnessKey:
    """The private witness key at ``key_path``; ``AuditError`` naming the file when missing or not a key."""
    try:
        private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        raise AuditError(f"no witness key at {key_path}: create one with `audit witness-key create`") from None
    except (OSError, ValueError, TypeError) as exc:
        raise AuditError(f"{key_path} is not a usable witness key: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise AuditError(f"{key_path} is not an Ed25519 key: create one with `audit witness-key create`")
    return WitnessKey(private)


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """The trusted public keys listed in ``path`` (one ``ed25519 <base64> [key id]`` per line), by key id."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuditError(f"no witness public keys at {path}: copy them from where the key was created") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the witness public keys at {path}: {exc}") from exc
    keys: dict[str, Ed25519PublicKey] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            if fields[0] != _PUBLIC_KEY_TAG:
                raise ValueError(fields[0])
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(fields[1], validate=True))
        except (ValueError, IndexError) as exc:
            raise AuditError(f"{path} line {number} is not `ed25519 <base64 public key>`") from exc
        keys[key_id(public)] = public
    return keys


class Witness(Protocol):
    """Somewhere the trail's writer can add signed heads but not change or remove them."""

    where: str

    def append(self, head: SignedHead) -> None:
        """Add ``head`` durably (it is on stable storage when this returns)."""
        ...

    def heads(self) -> list[SignedHead]:
        """Every head witnessed so far, in the order written; ``AuditError`` when the witness is unreadable."""
        ...

    def close(self) -> None:
        """Release what the witness holds (connections); it is not used afterwards."""
        ...


class FileWitness:
    """The default witness: a JSON Lines file opened ``O_APPEND`` for every head, each head synced.

    Put it on another volume than the trail, writable by the service only through ``chattr +a``
    (append-only: the service's user can neither truncate nor rewrite it), or on a remote
    append-only log; see the runbook.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def create(self) -> None:
        """Create the (empty) file and its folder if missing, so a deleted witness is told from a new one."""
        if not self.path.exists():
            self._open().close()

    def append(self, head: SignedHead) -> None:
        """One ``write`` of one line at the end of the file, then ``fsync``."""
        with self._open() as handle:
            handle.write((canonical_json(head.to_json()) + "\n").encode())
            handle.flush()
            os.fsync(handle.fileno())

    def heads(self) -> list[SignedHead]:
        """Every head in the file; a last line cut short by a crash (no newline) is ignored."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AuditError(
                f"no witness at {self.path}: the trail cannot be checked for truncation "
                "(restore the witness, or pass --no-witness to check the chain alone)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"cannot read the witness at {self.path}: {exc}") from exc
        lines = text.split("\n")[:-1]  # the part after the last newline is a torn write, if anything
        return [_parse_head(line, self.path, number) for number, line in enumerate(lines, start=1) if line]

    def close(self) -> None:
        """Nothing to release: every append opens and closes the file."""

    def _open(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return os.fdopen(descriptor, "ab", buffering=0)


def _parse_head(line: str, path: Path, number: int) -> SignedHead:
    try:
        return SignedHead.from_json(json.loads(line))
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditError(f"{path} line {number} is not a signed head: the witness was edited ({exc})") from exc


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
