"""API keys with roles, stored hashed: the default way callers prove who they are.

A key looks like ``lsk_<id>_<secret>``. The store (a JSON file, ``<PREFIX>_API_KEYS_PATH``) keeps, per key,
its name, roles, a random salt and SHA-256(salt + secret), never the secret itself: a copy of the file
does not let anyone call the service. The secret is 256 random bits, so a salted SHA-256 cannot be
brute-forced (a slow hash such as scrypt protects guessable passwords, and would cost every request
tens of milliseconds). The file is re-read when it changes, so keys created or revoked with
``<project> keys create|revoke`` take effect without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

Role = Literal["scorer", "reviewer", "auditor", "admin"]  # admin: kill switch and incidents
ROLES: tuple[Role, ...] = get_args(Role)
PREFIX = "lsk"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


class KeyStoreError(Exception):
    """The key store cannot be read or written, or a request to it is invalid; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    """One stored key: who holds it, what it may do, and the salted hash of its secret."""

    key_id: str
    name: str
    roles: tuple[Role, ...]
    salt: str
    sha256: str
    created_at: str

    def matches(self, secret: str) -> bool:
        """True when ``secret`` is this key's secret (constant-time comparison)."""
        return hmac.compare_digest(_digest(self.salt, secret), self.sha256)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 12 or not secret or len(key) > 200:  # noqa: PLR2004 -- 6 random bytes in hex
        return None
    return key_id, secret


class KeyStore:
    """The key file: read (and re-read when it changes) by the service, written by the CLI."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, ApiKey] = {}

    def find(self, key: str) -> ApiKey | None:
        """The stored key that ``key`` is, or None (unknown, revoked or malformed)."""
        parts = split_key(key)
        if parts is None:
            return None
        stored = self._current().get(parts[0])
        return stored if stored is not None and stored.matches(parts[1]) else None

    def entries(self) -> list[ApiKey]:
        """Every stored key (hashes only), oldest first."""
        return sorted(self._current().values(), key=lambda k: k.created_at)

    def create(self, name: str, roles: tuple[Role, ...], secret: str | None = None) -> str:
        """Store a new key for ``name`` with ``roles`` and return it: the only time it is ever shown."""
        if not name or len(name) > 64 or not set(name) <= _NAME_CHARS:  # noqa: PLR2004 -- documented limit
            msg = f"key name {name!r} must be 1-64 letters, digits or . _ @ -"
            raise KeyStoreError(msg)
        if not roles or any(role not in ROLES for role in roles):
            msg = f"roles must be some of {', '.join(ROLES)}"
            raise KeyStoreError(msg)
        keys = self._read()
        if any(k.name == name for k in keys.values()):
            msg = f"a key named {name!r} exists; revoke it first or choose another name"
            raise KeyStoreError(msg)
        key_id, secret = secrets.token_hex(6), secret or secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        keys[key_id] = ApiKey(key_id, name, tuple(dict.fromkeys(roles)), salt, _digest(salt, secret), created)
        self._write(keys)
        return f"{PREFIX}_{key_id}_{secret}"

    def revoke(self, name: str) -> None:
        """Delete the key named ``name``; requests with it are refused from the next request on."""
        keys = self._read()
        remaining = {i: k for i, k in keys.items() if k.name != name}
        if len(remaining) == len(keys):
            msg = f"no key is named {name!r} (see `keys list`)"
            raise KeyStoreError(msg)
        self._write(remaining)

    def _current(self) -> dict[str, ApiKey]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (info.st_mtime_ns, info.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._keys, self._stamp = self._read(), stamp
            return self._keys

    def _read(self) -> dict[str, ApiKey]:
        try:
            raw: list[dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))["keys"]
            keys = [ApiKey(**{**item, "roles": tuple(item["roles"])}) for item in raw]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            msg = f"the API key file {self.path} is unreadable ({exc}); restore it or delete it and create new keys"
            raise KeyStoreError(msg) from exc
        return {k.key_id: k for k in keys}

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"keys": [k.__dict__ | {"roles": list(k.roles)} for k in keys.values()]}
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes only, still private
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        temporary.replace(self.path)
