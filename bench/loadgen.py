"""A small HTTP/1.1 load generator (stdlib asyncio, keep-alive sockets) that prints its results as JSON.

bench_serving.py runs it as its own process, so the client never shares an interpreter (or a GIL) with a
server. It speaks just enough HTTP/1.1 for a JSON API (Content-Length or chunked bodies, keep-alive) and
does no per-request work beyond writing pre-built bytes and reading the answer, so on this machine it
drives several thousand requests per second from one core; its own CPU use is reported so a run can show
the client was not the bottleneck.

Two modes:
- closed: ``--concurrency N`` clients, each sends its next request when the previous one is answered.
- open: ``--rate R`` requests per second arrive on a fixed schedule whatever the server does (as real users
  do); latency counts from the scheduled time, so a server that falls behind is not excused by the client
  waiting (no coordinated omission). Up to ``--max-connections`` are open at once.

Every request is a new applicant: ``applicant_id`` is unique and the other fields vary (taken in turn from
``--pool``, e.g. rows of the project's own synthetic data, so the drift monitor sees the training
distribution; random otherwise).

    python bench/loadgen.py --port 8000 --path /v1/score --mode closed --concurrency 16 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EMPLOYMENT = ("salaried", "self_employed", "business_owner", "retired")
REGIONS = ("north", "south", "east", "west", "central", "northeast")
AGE_BANDS = ("18-25", "26-35", "36-45", "46-60", "60+")


def applicants(template: dict[str, Any], prefix: str, count: int, pool: list[dict[str, Any]]) -> list[bytes]:
    """``count`` distinct JSON bodies: a new applicant each (as in the service's bench/bench_audit.py),
    with the fields of the ``pool`` rows in turn, or random ones when there is no pool."""
    if pool:
        return [
            json.dumps({**template, **pool[n % len(pool)], "applicant_id": f"{prefix}-{n:09d}"}).encode()
            for n in range(count)
        ]
    rng = random.Random(7)  # noqa: S311 -- test data, not secrets
    bodies = []
    for n in range(count):
        income = rng.randrange(15_000, 400_000, 500)
        body = {
            **template,
            "applicant_id": f"{prefix}-{n:09d}",
            "monthly_income": income,
            "monthly_debt_payments": int(income * rng.uniform(0.0, 0.7)),
            "credit_history_months": rng.randrange(0, 300),
            "past_delinquencies": rng.choice((0, 0, 0, 1, 2, 4)),
            "employment_type": rng.choice(EMPLOYMENT),
            "region": rng.choice(REGIONS),
            "age_band": rng.choice(AGE_BANDS),
            "loan_amount": rng.randrange(50_000, 5_000_000, 10_000),
            "loan_tenure_months": rng.choice((12, 24, 36, 60, 120, 240)),
        }
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        """Send one request, read the whole answer, return its status (0: the connection broke)."""
        try:
            return await self._exchange(request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.closed = True
            return 0

    async def _exchange(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                self.closed = True
        if chunked:
            while size := int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        elif length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


@dataclass
class Results:
    """Latency (s) and status of every request that started after the warm-up."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    unfinished: int = 0
    exchanged: int = 0  # every answered request, the warm-up's too (for the server's CPU time per request)
    started_at: float = 0.0
    ended_at: float = 0.0

    def add(self, latency: float, status: int) -> None:
        self.latencies.append(latency)
        self.statuses.append(status)


def build_request(host: str, port: int, path: str, body: bytes, headers: list[str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def closed_loop(args: argparse.Namespace, requests: list[bytes]) -> Results:
    results = Results()
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + args.warmup
    stop_at = measure_from + args.duration
    counter = itertools.count()

    async def client() -> None:
        conn = await Connection.open(args.host, args.port)
        while (now := loop.time()) < stop_at:
            status = await conn.exchange(requests[next(counter) % len(requests)])
            results.exchanged += 1
            if now >= measure_from:
                results.add(loop.time() - now, status)
            if conn.closed:
                conn.close()
                conn = await Connection.open(args.host, args.port)
        conn.close()

    results.started_at = measure_from
    await asyncio.gather(*(client() for _ in range(args.concurrency)))
    results.ended_at = stop_at
    return results


async def open_loop(args: argparse.Namespace, requests: list[bytes]) -> Results:
    results = Results()
    loop = asyncio.get_running_loop()
    idle: list[Connection] = []
    slots = asyncio.Semaphore(args.max_connections)
    start = loop.time() + 0.05
    measure_from = start + args.warmup
    total = int(args.rate * (args.warmup + args.duration))

    async def one(n: int, scheduled: float) -> None:
        async with slots:
            conn = idle.pop() if idle else await Connection.open(args.host, args.port)
            status = await conn.exchange(requests[n])
            results.exchanged += 1
            if scheduled >= measure_from:
                results.add(loop.time() - scheduled, status)
            if conn.closed:
                conn.close()
            else:
                idle.append(conn)

    tasks = []
    for n in range(total):
        scheduled = start + n / args.rate
        if (delay := scheduled - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, scheduled)))
    results.started_at, results.ended_at = measure_from, start + total / args.rate
    _, pending = await asyncio.wait(tasks, timeout=args.grace)
    for task in pending:
        task.cancel()
    results.unfinished = len(pending)
    for conn in idle:
        conn.close()
    return results


def summary(results: Results, cpu: float, wall: float) -> dict[str, Any]:
    """Throughput, percentiles of accepted (2xx) requests, and the share of 503s and other errors."""
    accepted = sorted(
        lat for lat, status in zip(results.latencies, results.statuses, strict=True) if 200 <= status < 300
    )
    answered = len(results.statuses)
    total = answered + results.unfinished
    span = max(results.ended_at - results.started_at, 1e-9)

    def pct(q: float) -> float | None:
        return accepted[min(len(accepted) - 1, int(q * len(accepted)))] * 1000 if accepted else None

    return {
        "requests": total,
        "rps": len(accepted) / span,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "share_503": results.statuses.count(503) / total if total else 0.0,
        "share_other_errors": sum(1 for s in results.statuses if s != 503 and not 200 <= s < 300) / total
        if total
        else 0.0,
        "unfinished": results.unfinished,
        "exchanged": results.exchanged,
        "client_cpu_share": cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/score")
    parser.add_argument(
        "--header", action="append", default=[], help="Extra header line, e.g. 'Authorization: ...'."
    )
    parser.add_argument(
        "--applicant", type=Path, required=True, help="JSON file of one applicant (the template)."
    )
    parser.add_argument("--pool", type=Path, help="JSON Lines of applicant fields to take in turn.")
    parser.add_argument("--prefix", default="BENCH", help="applicant_id prefix: make it unique per run.")
    parser.add_argument("--mode", choices=("closed", "open"), default="closed")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0, help="Open mode: requests per second offered.")
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--duration", type=float, default=5.0, help="Measured seconds.")
    parser.add_argument("--warmup", type=float, default=1.0, help="Seconds of load before measuring.")
    parser.add_argument(
        "--grace", type=float, default=10.0, help="Open mode: wait this long for late answers."
    )
    parser.add_argument(
        "--max-rps", type=float, default=6000.0, help="Closed mode: bodies to prepare per second."
    )
    args = parser.parse_args()
    template = json.loads(args.applicant.read_text(encoding="utf-8"))
    pool = (
        [json.loads(line) for line in args.pool.read_text(encoding="utf-8").splitlines()] if args.pool else []
    )
    ceiling = args.rate if args.mode == "open" else args.max_rps
    count = int(ceiling * (args.warmup + args.duration)) + 1
    requests = [
        build_request(args.host, args.port, args.path, body, args.header)
        for body in applicants(template, args.prefix, count, pool)
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    run = closed_loop if args.mode == "closed" else open_loop
    results = asyncio.run(run(args, requests))
    json.dump(summary(results, time.process_time() - cpu, time.perf_counter() - wall), sys.stdout)


if __name__ == "__main__":
    main()
