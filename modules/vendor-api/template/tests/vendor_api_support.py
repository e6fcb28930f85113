"""A flaky vendor for the vendor-api tests and benchmark: a real HTTP server on loopback, told what to answer.

``FlakyVendor.script(...)`` queues answers (a status, optionally after a delay); once the queue is empty it
answers ``default`` (200 with a JSON body unless changed). Every request it receives is recorded, so a test
can count what reached the vendor and which headers came with it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """What the vendor answers to one request."""

    status: int = 200
    delay_seconds: float = 0.0
    hold: threading.Event | None = None  # answer only once this is set
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Received:
    """One request the vendor received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FlakyVendor:
    """The vendor's state: queued answers, the default answer and what it received (thread-safe)."""

    def __init__(self) -> None:
        self.default = Answer()
        self._queue: deque[Answer] = deque()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self.url = ""

    def script(self, *answers: Answer | int) -> None:
        """Queue answers (an int is a status answered at once)."""
        with self._lock:
            self._queue.extend(a if isinstance(a, Answer) else Answer(status=a) for a in answers)

    def next_answer(self, received: Received) -> Answer:
        with self._lock:
            self._received.append(received)
            return self._queue.popleft() if self._queue else self.default

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._queue.clear()


def _handler(vendor: FlakyVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = vendor.next_answer(Received(self.command, self.path, dict(self.headers.items()), body))
            if answer.hold is not None:
                answer.hold.wait(timeout=10)
            if answer.delay_seconds:
                time.sleep(answer.delay_seconds)
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer  # noqa: N815 -- http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    return Handler


@contextmanager
def flaky_vendor() -> Iterator[FlakyVendor]:
    """A vendor on a free loopback port for the duration of the block."""
    vendor = FlakyVendor()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vendor))
    server.daemon_threads = True
    vendor.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield vendor
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
