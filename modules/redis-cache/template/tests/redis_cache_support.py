"""Helpers of the redis-cache tests: the real Redis on loopback, a dead and a silent one, a screening API."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import redis

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def require_redis() -> None:
    """Skip (or fail, with FACTORY_REQUIRE_SERVICES=1) when the local Redis does not answer PING."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc}); start it to run these tests"
        if os.environ.get("FACTORY_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()


@contextmanager
def unique_prefix() -> Iterator[str]:
    """A key prefix of its own for one test; every key under it is deleted afterwards."""
    prefix = f"test-redis-cache-{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def keys_under(prefix: str) -> list[str]:
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2, decode_responses=True)
    try:
        return sorted(client.scan_iter(match=f"{prefix}*"))
    finally:
        client.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class SilentServer:
    """Accepts TCP connections and never answers: a hung Redis. Counts the connections."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.connections:
            conn.close()
        self._sock.close()


class ScreeningApi(BaseHTTPRequestHandler):
    """A sanctions screening API on loopback: counts calls, records what it was sent, can be slow or down."""

    calls = 0
    status = 200
    delay_seconds = 0.0
    hits: ClassVar[set[str]] = set()
    seen: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.calls += 1
            cls.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        time.sleep(cls.delay_seconds)
        hit = body["name"] in cls.hits
        matches = [{"list": "EU consolidated", "entry_id": "EU.123.45", "score": 0.97}] if hit else []
        payload = json.dumps({"hit": hit, "matches": matches, "provider_ref": "r-1"}).encode()
        self.send_response(cls.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        return


@contextmanager
def screening_api() -> Iterator[tuple[type[ScreeningApi], str]]:
    """Serve :class:`ScreeningApi` (state reset) on a free loopback port; yields it and its URL."""
    ScreeningApi.calls, ScreeningApi.status, ScreeningApi.delay_seconds = 0, 200, 0.0
    ScreeningApi.hits, ScreeningApi.seen = {"Ivan Sanctioned"}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScreeningApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScreeningApi, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
