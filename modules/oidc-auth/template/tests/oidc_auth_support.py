"""An identity provider for the oidc-auth tests: signing keys made here, a discovery document and a JWKS
served on loopback (counting fetches), and tokens signed with those keys, forged ones included."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class Signer:
    """A signing key of the provider: its key id, algorithm and private key."""

    kid: str
    algorithm: str
    private: PrivateKey

    @classmethod
    def new(cls, algorithm: str = "RS256") -> Signer:
        private: PrivateKey
        if algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = ed25519.Ed25519PrivateKey.generate()
        return cls(f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}", algorithm, private)

    def jwk(self) -> dict[str, Any]:
        """The public key as the provider publishes it."""
        public = self.private.public_key()
        kind = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm}.get(self.algorithm, OKPAlgorithm)
        data: dict[str, Any] = kind.to_jwk(public, as_dict=True)  # type: ignore[attr-defined]
        return {**data, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": kid or self.kid})


class IdentityProvider:
    """What the provider serves: its issuer URL, published keys, and how often they were fetched."""

    def __init__(self) -> None:
        self.issuer = ""
        self.keys: list[Signer] = []
        self.down = False
        self.fetches = 0
        self._lock = threading.Lock()

    def publish(self, *signers: Signer) -> None:
        with self._lock:
            self.keys = list(signers)

    def document(self, path: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.down:
                return 503, {"error": "down"}
            if path == "/.well-known/openid-configuration":
                return 200, {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
            if path == "/jwks":
                self.fetches += 1
                return 200, {"keys": [signer.jwk() for signer in self.keys]}
            return 404, {"error": "not found"}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": "loan-api",
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "roles": ["scorer"],
            **overrides,
        }


@contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    """A provider on a free loopback port for the duration of the block."""
    provider = IdentityProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, document = provider.document(self.path)
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """An ``alg: none`` token: no signature at all."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict[str, Any], signer: Signer) -> str:
    """The key-confusion forgery: HS256 "signed" with the provider's public key (which anyone has)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": signer.kid}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(signer.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
