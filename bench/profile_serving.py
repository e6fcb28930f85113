"""Where the CPU time of one `POST /v1/score` goes in the generated service (every control on), under load.

    python bench/profile_serving.py [--clients 16] [--duration 20] [--rate 250]

Renders and installs a project as bench_serving.py does (same cached venv), starts `<project> serve`,
puts ``--clients`` closed-loop clients on it (bench/loadgen.py, new applicant per request) and samples
every thread of the server with py-spy (installed from PyPI into the bench cache on first use;
``--nonblocking``, so the sampled process is never paused). Each sample is put in the category of its
innermost frame that names one (so the scikit-learn frames under ``probability_of_default`` count as
model predict, the sqlite3 commit under the audit writer as audit). CPU samples only: time a thread spends
waiting (an fsync, the event loop idle) is not in the figures. The collapsed stacks are kept for a flame
graph (``--keep``). Then bench/serving_parts.py times each part called directly, one thread (its
minimum is what the code costs with a core to itself).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench_serving import HERE, Applicants, arms, cached_venv, load, prepare, run, serving

# (category, substrings of a py-spy frame "function (path:line)"); the innermost frame matching one wins.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("audit write (hash chain, sqlite, fsync)", ("/audit/",)),
    ("sealing personal data (subject keys)", ("privacy.py",)),
    ("explanation (reason codes)", ("/model/explain.py",)),
    ("drift", ("/model/drift.py",)),
    (
        "model predict and attribution (model families, features)",
        (
            "/model/artifact.py",
            "/model/sklearn_model.py",
            "/model/boosters.py",
            "/model/onnx_model.py",
            "/model/treeshap.py",
            "/model/shapley.py",
            "/model/inputs.py",
            "/model/features.py",
            "/contract/",
            "sklearn/",
        ),
    ),
    ("metrics (prometheus_client)", ("/metrics.py", "prometheus_client/")),
    ("auth (API keys, roles)", ("/keys.py", "/access.py")),
    ("logging", ("/logs.py", "structlog/", "/logging/")),
    ("tracing", ("/tracing.py", "opentelemetry/")),
    (
        "JSON and validation (json, pydantic)",
        ("/json/", "pydantic", "fastapi/encoders.py", "serialize_response"),
    ),
    ("middleware (the project's)", ("/middleware.py",)),
    ("other service code (decision, review queue, kill switch)", ("/{package}/",)),
    (
        "server and framework (uvicorn, starlette, asyncio)",
        ("uvicorn/", "starlette/", "fastapi/", "anyio/", "asyncio/"),
    ),
]


IDLE = ("Condition.wait (", "EpollSelector.select (", "Queue.get (", "Event.wait (", "sleep (")


def category(stack: list[str], rules: list[tuple[str, tuple[str, ...]]]) -> str:
    if stack[-1].startswith(IDLE):
        return "waiting (a lock, a future, the event loop idle)"
    for frame in reversed(stack):
        for name, needles in rules:
            if any(needle in frame for needle in needles):
                return name
    return "other (interpreter, threads)"


def histogram_means(port: int) -> dict[str, tuple[float, float]]:
    """(sum, count) of the service's own latency histograms, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found: dict[str, tuple[float, float]] = {}
    for name, labels in (("audit_write_seconds", ""), ("http_request_duration_seconds", "/v1/score")):
        total = sum(
            float(m) for m in re.findall(rf"^{name}_sum{{?[^\n]*{labels}[^\n]*?}}? (\S+)$", text, re.M)
        )
        count = sum(
            float(m) for m in re.findall(rf"^{name}_count{{?[^\n]*{labels}[^\n]*?}}? (\S+)$", text, re.M)
        )
        found[name] = (total, count)
    return found


def breakdown(raw: Path, package: str) -> Counter[str]:
    """Samples per category from py-spy's raw (collapsed) output."""
    rules = [(name, tuple(n.replace("{package}", package) for n in needles)) for name, needles in CATEGORIES]
    samples: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            samples[category(stack.split(";"), rules)] += int(count)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds sampled under load.")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second.")
    parser.add_argument("--calls", type=int, default=300, help="Calls per part in serving_parts.py.")
    parser.add_argument("--keep", type=Path, help="Copy the collapsed stacks here (for a flame graph).")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(cached_venv("tools", "py-spy", ["py-spy"]) / "bin" / "py-spy")
    with tempfile.TemporaryDirectory(prefix="factory-profile-serving-") as tmp:
        work = Path(tmp)
        project = prepare(work)
        generated = arms(project, work)[0]
        applicants = Applicants(project.root / "tests" / "data" / "applicant.json", project.pool)
        raw = work / "profile.txt"
        with serving(generated, work / "generated.log") as server:
            load(generated, applicants, "W", 2.0, mode="closed", concurrency=args.clients, warmup=0.5)
            record = [
                spy,
                "record",
                "--pid",
                str(server.proc.pid),
                "--gil",
                "--nonblocking",
                "--rate",
                str(args.rate),
            ]
            record += ["--format", "raw", "--duration", str(int(args.duration) + 2), "--output", str(raw)]
            before = histogram_means(generated.port)
            spy_proc = subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1.0)
            result = load(generated, applicants, "P", args.duration, mode="closed", concurrency=args.clients)
            _, err = spy_proc.communicate(timeout=60)
            after = histogram_means(generated.port)
            if spy_proc.returncode != 0 or not raw.exists():
                sys.exit(f"error: py-spy failed: {err.decode()[-2000:]}")
        samples = breakdown(raw, project.package)
        if args.keep:
            shutil.copyfile(raw, args.keep)
        report(samples, result, args)
        for name, (total, count) in after.items():
            spent, done = total - before[name][0], count - before[name][1]
            print(
                f"the service's own {name}: mean {1000 * spent / max(done, 1):.2f} ms over {done:.0f} (wall)"
            )
        parts = [project.venv / "bin" / "python", HERE / "serving_parts.py", project.root, project.package]
        print(f"\n{run([*parts, '--calls', str(args.calls)])}", end="")


def report(samples: Counter[str], result: dict[str, float], args: argparse.Namespace) -> None:
    # py-spy sampled for duration + ~2 s around the load run: scale by the requests answered in that window.
    requests = result["exchanged"] * (args.duration + 2) / (args.duration + 1.0)
    total = sum(samples.values())
    print(f"{args.clients} clients: {result['rps']:.0f} requests/s, p50 {result['p50_ms']:.1f} ms, ", end="")
    print(f"p99 {result['p99_ms']:.1f} ms; {total} samples of the thread holding the GIL, {args.rate}/s")
    print(f"{'where the time holding the GIL goes':<58}{'share':>8}{'ms/request':>12}")
    for name, count in samples.most_common():
        print(f"{name:<58}{100 * count / total:>7.1f}%{1000 * count / args.rate / requests:>12.3f}")
    print(f"{'total':<58}{'':>8}{1000 * total / args.rate / requests:>12.3f}")


if __name__ == "__main__":
    main()
