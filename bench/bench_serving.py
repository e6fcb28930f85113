"""Serving performance of a freshly generated service, all controls on, against a bare FastAPI endpoint and
BentoML serving the same model: requests/s and p50/p95/p99 latency at 1, 16 and 64 clients, behaviour at
twice the saturating load, peak memory per worker and cold start. Figures only, never asserted.

    python bench/bench_serving.py [--duration 6] [--rounds 2] [--cold-starts 5]

One run renders `factory new loan-scoring --defaults` into a temp folder, installs it into a venv cached
under ~/.cache/factory-bench (keyed by the project's pyproject.toml, so only a changed dependency set
re-installs; the project itself is re-installed every run), and BentoML 1.4 into its own cached venv.
Three arms, one uvicorn worker each, started as separate processes and loaded by bench/loadgen.py
(another process):
- generated: `<project> serve`, as its README says, with a scorer API key from `<project> keys create`,
  the durable audit trail, sealing of personal data, explanations, metrics and drift (all on by default);
- bare: a FastAPI app written here: one `async def` endpoint calling the project's own `load_model(...)`
  `.predict(record)`, no validation or controls;
- bentoml: a BentoML service written here, loading the project's skops artifact with skops (the same
  trusted-types check) and the project's own `model/features.py`, `@bentoml.service(workers=1)`.
Measurements run round-robin (each load level on every arm in turn) so drift in machine load hits all
arms alike. See docs/benchmarks.md for what the figures mean and what they were on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("FACTORY_BENCH_CACHE", Path.home() / ".cache" / "factory-bench"))
BENTOML = "bentoml>=1.4,<1.5"
PINNED_FOR_BENTOML = ("scikit-learn", "skops", "numpy")  # the artifact must load with the project's versions
CLIENTS = (1, 16, 64)
ARMS = ("generated", "bare", "bentoml")

BARE_APP = '''\
"""A bare endpoint: the project's own model loader, nothing else (written by factory's bench_serving.py)."""
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from {package}.model import load_model

MODEL = load_model(Path(os.environ["BENCH_MODEL_PATH"]))
app = FastAPI()


@app.post("/v1/score")
async def score(applicant: dict[str, Any]) -> dict[str, float]:
    return {{"probability_of_default": MODEL.predict(applicant)}}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {{"status": "ready"}}
'''

BENTO_SERVICE = '''\
"""BentoML serving the project's artifact (written by factory's bench_serving.py)."""
import importlib.util
import os
from pathlib import Path

import bentoml
import skops.io

_spec = importlib.util.spec_from_file_location("project_features", os.environ["BENCH_FEATURES_PY"])
features = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(features)


@bentoml.service(workers=1)
class CreditRisk:
    def __init__(self) -> None:
        payload = Path(os.environ["BENCH_MODEL_PATH"]).read_bytes()
        self.pipeline = skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload))

    @bentoml.api(route="/v1/score")
    def score(self, {params}) -> dict:
        matrix = features.to_matrix([{{{record}}}])
        return {{"probability_of_default": float(self.pipeline.predict_proba(matrix)[0, 1])}}
'''


def run(cmd: list[str | Path], **kwargs: Any) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def cached_venv(name: str, key: str, packages: list[str]) -> Path:
    """A venv under CACHE named by ``key``, made once; a half-made one (no marker) is made again."""
    venv = CACHE / f"{name}-{key[:16]}"
    if not (venv / ".complete").exists():
        print(f"installing {name} venv in {venv} (once per dependency set; a few minutes)", flush=True)
        run([sys.executable, "-m", "venv", "--clear", venv])
        run([venv / "bin" / "python", "-m", "pip", "install", "-q", *packages])
        (venv / ".complete").write_text(" ".join(packages) + "\n", encoding="utf-8")
    return venv


@dataclass
class Project:
    root: Path
    name: str
    package: str
    venv: Path
    bento_venv: Path
    pool: Path


def prepare(work: Path) -> Project:
    """Render a fresh project, install it (deps from the cache), and the BentoML venv."""
    home = {**os.environ, "FACTORY_HOME": str(work / "factory-home")}
    home.pop("FACTORY_TEMPLATES_PATH", None)
    run(
        [Path(sys.executable).parent / "factory", "new", "loan-scoring", "--defaults", "--output-dir", work],
        env=home,
    )
    root = work / "loan-scoring"
    pyproject = (root / "pyproject.toml").read_bytes()
    venv = cached_venv("service", hashlib.sha256(pyproject).hexdigest(), [str(root)])
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", root])
    pins = [
        m.group(1)
        for dist in PINNED_FOR_BENTOML
        if (m := re.search(rf'"({re.escape(dist)}==[^"]+)"', pyproject.decode()))
    ]
    packages = [BENTOML, *pins]
    bento = cached_venv("bentoml", hashlib.sha256(" ".join(packages).encode()).hexdigest(), packages)
    package = next(p.name for p in (root / "src").iterdir() if (p / "__init__.py").exists())
    write_pool(venv, package, work / "applicants.jsonl")
    return Project(root, "loan-scoring", package, venv, bento, work / "applicants.jsonl")


def write_pool(venv: Path, package: str, path: Path, rows: int = 20_000) -> None:
    """Applicants from the project's own synthetic data generator: the training distribution, another seed."""
    code = (
        f"import json; from {package}.model.data import generate\n"
        f"print('\\n'.join(json.dumps(r) for r in generate({rows}, 20261206).records))"
    )
    path.write_text(run([venv / "bin" / "python", "-c", code]), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Applicants:
    template: Path  # one applicant (the project's tests/data/applicant.json): personal fields
    pool: Path  # JSON Lines of the other fields, taken in turn (a new applicant_id every request)


@dataclass
class Arm:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    headers: list[str] = field(default_factory=list)
    log: Path | None = None


def arms(project: Project, work: Path) -> list[Arm]:
    """The three servers: how each starts, where, and what a request to it carries."""
    model = project.root / "models" / "credit-risk.skops"
    base = {**os.environ, "BENCH_MODEL_PATH": str(model), "BENTOML_DO_NOT_TRACK": "True"}
    prefix = project.package.upper() + "_"
    var = work / "var"
    service_env = {
        **base,
        **{
            prefix + k: str(var / v)
            for k, v in {
                "AUDIT_PATH": "audit.db",
                "AUDIT_ARCHIVE_DIR": "audit-archive",
                "API_KEYS_PATH": "api-keys.json",
                "REVIEW_PATH": "reviews.db",
                "SUBJECT_KEYS_PATH": "subject-keys.db",
                "INCIDENT_PATH": "incidents.db",
                "KILL_SWITCH_PATH": "kill-switch.json",
            }.items()
        },
    }
    cli = project.venv / "bin" / project.name
    key = run(
        [cli, "keys", "create", "--role", "scorer", "--name", "bench"], cwd=project.root, env=service_env
    )
    ports = [free_port() for _ in ARMS]
    (work / "bare_app.py").write_text(BARE_APP.format(package=project.package), encoding="utf-8")
    (work / "bento_service.py").write_text(bento_service(project.root), encoding="utf-8")
    python, bento_home = project.venv / "bin" / "python", work / "bentoml-home"
    uvicorn = [str(python), "-m", "uvicorn", "--host", "127.0.0.1", "--workers", "1", "--no-access-log"]
    features = project.root / "src" / project.package / "model" / "features.py"
    bento_env = {**base, "BENTOML_HOME": str(bento_home), "BENCH_FEATURES_PY": str(features)}
    bentoml = [str(project.bento_venv / "bin" / "bentoml"), "serve", "bento_service:CreditRisk"]
    auth = [f"Authorization: Bearer {key.strip()}"]
    return [
        Arm(
            "generated",
            [str(cli), "serve", "--port", str(ports[0])],
            project.root,
            service_env,
            ports[0],
            auth,
        ),
        Arm(
            "bare",
            [*uvicorn, "--port", str(ports[1]), "--log-level", "warning", "bare_app:app"],
            work,
            base,
            ports[1],
        ),
        Arm("bentoml", [*bentoml, "--host", "127.0.0.1", "--port", str(ports[2])], work, bento_env, ports[2]),
    ]


def bento_service(root: Path) -> str:
    """The BentoML service file: its API takes the applicant's fields, so the JSON body is the same."""
    applicant = json.loads((root / "tests" / "data" / "applicant.json").read_text(encoding="utf-8"))
    types = {str: "str", int: "float", float: "float", bool: "bool"}
    params = ", ".join(f"{k}: {types[type(v)]}" for k, v in applicant.items())
    return BENTO_SERVICE.format(params=params, record=", ".join(f'"{k}": {k}' for k in applicant))


@dataclass
class Server:
    arm: Arm
    proc: subprocess.Popen[bytes]
    started: float


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def serving(arm: Arm, log: Path, timeout: float = 60.0) -> Iterator[Server]:
    """Start the arm in its own process group; yield once /readyz answers 200; stop the group after."""
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            arm.command, cwd=arm.cwd, env=arm.env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        while not ready(arm.port):
            if proc.poll() is not None or time.perf_counter() - started > timeout:
                sys.exit(f"error: {arm.name} did not become ready; see {log}:\n{log.read_text()[-3000:]}")
            time.sleep(0.01)
        yield Server(arm, proc, started)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo.extend(children.get(current, []))
    return found


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(largest VmHWM of one process, sum of VmHWM) over the process tree, in MB."""
    peaks = []
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        if m := re.search(r"VmHWM:\s+(\d+) kB", status):
            peaks.append(int(m.group(1)) / 1024)
    return (max(peaks), sum(peaks)) if peaks else (0.0, 0.0)


def load(arm: Arm, applicants: Applicants, prefix: str, duration: float, **mode: Any) -> dict[str, Any]:
    """One run of bench/loadgen.py against ``arm`` (closed: concurrency=N; open: rate=R)."""
    cmd = [sys.executable, str(HERE / "loadgen.py"), "--port", str(arm.port), "--prefix", prefix]
    cmd += [
        "--applicant",
        str(applicants.template),
        "--pool",
        str(applicants.pool),
        "--duration",
        str(duration),
    ]
    for header in arm.headers:
        cmd += ["--header", header]
    for option, value in mode.items():
        cmd += [f"--{option.replace('_', '-')}", str(value)]
    result: dict[str, Any] = json.loads(run(cmd))
    return result


def cold_starts(all_arms: list[Arm], runs: int, logs: Path) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds from process start to /readyz 200, each arm in turn, ``runs`` times. The CPU
    time (of the process tree) barely moves with other load on the machine; the wall time does."""
    times: dict[str, list[tuple[float, float]]] = {arm.name: [] for arm in all_arms}
    for _ in range(runs):
        for arm in all_arms:
            with serving(arm, logs / f"{arm.name}.log") as server:
                wall = time.perf_counter() - server.started
                times[arm.name].append((wall, cpu_seconds(server.proc.pid)))
    return times


Runs = dict[str, dict[str, list[dict[str, Any]]]]  # arm -> load level -> one summary per round


def measure(servers: list[Server], applicants: Applicants, rounds: int, duration: float) -> Runs:
    """Closed-loop runs at each client count, then open-loop at 1x and 2x each arm's saturating rate."""
    runs: Runs = {s.arm.name: {} for s in servers}
    tag = iter(range(1_000_000))
    for _ in range(rounds):
        for clients in CLIENTS:
            for server in servers:
                result = timed_load(
                    server, applicants, f"B{next(tag)}", duration, mode="closed", concurrency=clients
                )
                runs[server.arm.name].setdefault(f"{clients}", []).append(result)
    saturation = {name: max(median(levels, str(c), "rps") for c in CLIENTS) for name, levels in runs.items()}
    for _ in range(rounds):
        for factor in (1, 2):
            for server in servers:
                rate = round(factor * saturation[server.arm.name], 1)
                result = timed_load(
                    server, applicants, f"B{next(tag)}", duration, mode="open", rate=rate, grace=15
                )
                runs[server.arm.name].setdefault(f"{factor}x", []).append({**result, "rate": rate})
    return runs


def timed_load(
    server: Server, applicants: Applicants, prefix: str, duration: float, **mode: Any
) -> dict[str, Any]:
    """:func:`load`, plus the server's CPU time per answered request (robust to other load on the machine)."""
    cpu = cpu_seconds(server.proc.pid)
    result = load(server.arm, applicants, prefix, duration, **mode)
    result["server_cpu_ms"] = 1000 * (cpu_seconds(server.proc.pid) - cpu) / max(result["exchanged"], 1)
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


WRK_SCRIPT = """\
local counter = 0
local template = [[BODY]]
request = function()
  counter = counter + 1
  local body = string.gsub(template, "__ID__", "WRK-" .. counter)
  return wrk.format("POST", "/v1/score", {["Content-Type"] = "application/json"}, body)
end
"""


def wrk_check(server: Server, applicants: Applicants, duration: float, work: Path) -> str:
    """The same closed load from loadgen.py and from wrk (C, Debian's), back to back, on one arm."""
    ours = load(server.arm, applicants, "X", duration, mode="closed", concurrency=16)["rps"]
    wrk = shutil.which("wrk")
    if wrk is None:
        return f"loadgen {ours:.0f} requests/s; wrk not installed (apt-get install wrk) for the cross-check"
    body = json.dumps(
        {**json.loads(applicants.template.read_text(encoding="utf-8")), "applicant_id": "__ID__"}
    )
    script = work / "bench.lua"
    script.write_text(WRK_SCRIPT.replace("BODY", body), encoding="utf-8")
    url = f"http://127.0.0.1:{server.arm.port}"
    out = run([wrk, "-t1", "-c16", f"-d{duration:.0f}s", "-s", str(script), url])
    theirs = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return f"loadgen {ours:.0f} requests/s, wrk {float(theirs.group(1)) if theirs else float('nan'):.0f}"


def median(runs: dict[str, list[dict[str, Any]]], level: str, key: str) -> float:
    values = [r[key] for r in runs.get(level, []) if r[key] is not None]
    return statistics.median(values) if values else float("nan")


def report(
    runs: Runs, starts: dict[str, list[tuple[float, float]]], rss: dict[str, tuple[float, float]]
) -> None:
    """One table, the arms side by side, then the ratios the targets of issue 14 use."""
    print(f"\n{'':<34}" + "".join(f"{a:>14}" for a in ARMS))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:<34}" + "".join(f"{v:>14}" for v in values))

    row(
        f"cold start to /readyz (median of {len(starts[ARMS[0]])})",
        [f"{_med(starts[a], 0):.2f} s" for a in ARMS],
    )
    row("  CPU time to /readyz", [f"{_med(starts[a], 1):.2f} s" for a in ARMS])
    row("peak RSS: largest process", [f"{rss[a][0]:.0f} MB" for a in ARMS])
    row("peak RSS: process tree", [f"{rss[a][1]:.0f} MB" for a in ARMS])
    for clients in CLIENTS:
        level = str(clients)
        row(f"{clients} client(s): requests/s", [f"{median(runs[a], level, 'rps'):.0f}" for a in ARMS])
        for q in ("p50", "p95", "p99"):
            row(f"  {q} ms", [f"{median(runs[a], level, q + '_ms'):.1f}" for a in ARMS])
        row("  server CPU ms per request", [f"{median(runs[a], level, 'server_cpu_ms'):.2f}" for a in ARMS])
        row(
            "  = requests/s on a free core",
            [f"{1000 / median(runs[a], level, 'server_cpu_ms'):.0f}" for a in ARMS],
        )
        row(
            "  errors (not 2xx)", [f"{100 * median(runs[a], level, 'share_other_errors'):.1f}%" for a in ARMS]
        )
    for level, what in (("1x", "at saturation"), ("2x", "at 2x saturation")):
        row(f"open loop {what}: offered/s", [f"{median(runs[a], level, 'rate'):.0f}" for a in ARMS])
        row("  p99 ms of accepted", [f"{median(runs[a], level, 'p99_ms'):.0f}" for a in ARMS])
        row("  503 share", [f"{100 * median(runs[a], level, 'share_503'):.1f}%" for a in ARMS])
        row("  other errors", [f"{100 * median(runs[a], level, 'share_other_errors'):.1f}%" for a in ARMS])
        row("  unanswered in time", [f"{median(runs[a], level, 'unfinished'):.0f}" for a in ARMS])
    client_cpu = max(r["client_cpu_share"] for arm in runs.values() for rs in arm.values() for r in rs)
    print(f"\nload generator: highest CPU use of one run {100 * client_cpu:.0f}% of one core")
    gen = runs["generated"]
    rps = {a: median(runs[a], "16", "rps") for a in ARMS}
    print("ratios (issue 14 targets in brackets):")
    print(
        f"  generated / bentoml requests/s at 16 clients: {rps['generated'] / rps['bentoml']:.2f}x  [>= 3x]"
    )
    print(
        f"  generated / bare requests/s at 16 clients:    {rps['generated'] / rps['bare']:.2f}x  [>= 0.85x]"
    )
    cpu = {a: median(runs[a], "16", "server_cpu_ms") for a in ARMS}
    print(f"  the same from CPU ms per request (robust to load): {cpu['bentoml'] / cpu['generated']:.2f}x"
          f" vs bentoml, {cpu['bare'] / cpu['generated']:.2f}x vs bare")  # fmt: skip
    print(f"  generated p99 at 16 clients:                  {median(gen, '16', 'p99_ms'):.1f} ms  [< 25 ms]")
    ratio = median(gen, "2x", "p99_ms") / median(gen, "1x", "p99_ms")
    print(f"  generated p99 of accepted, 2x / 1x saturation: {ratio:.2f}x  [<= 3x], "
          f"503 share at 2x {100 * median(gen, '2x', 'share_503'):.1f}%")  # fmt: skip


def _med(pairs: list[tuple[float, float]], index: int) -> float:
    return statistics.median(pair[index] for pair in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=6.0, help="Measured seconds per run.")
    parser.add_argument("--rounds", type=int, default=2, help="Round-robin rounds (figures are medians).")
    parser.add_argument("--cold-starts", type=int, default=5, help="Cold starts per arm.")
    args = parser.parse_args()
    before = os.getloadavg()
    print(
        f"load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="factory-bench-serving-") as tmp:
        work = Path(tmp)
        project = prepare(work)
        all_arms, logs = arms(project, work), work / "logs"
        logs.mkdir()
        applicants = Applicants(project.root / "tests" / "data" / "applicant.json", project.pool)
        print(f"cold starts ({args.cold_starts} per arm), then the load runs, round-robin", flush=True)
        starts = cold_starts(all_arms, args.cold_starts, logs)
        with (
            serving(all_arms[0], logs / "generated.log") as gen,
            serving(all_arms[1], logs / "bare.log") as bare,
            serving(all_arms[2], logs / "bentoml.log") as bento,
        ):
            for arm in all_arms:  # first requests (lazy imports, caches) out of the figures
                load(arm, applicants, f"W{arm.name}", 1.0, mode="closed", concurrency=4, warmup=0.5)
            runs = measure([gen, bare, bento], applicants, args.rounds, args.duration)
            check = wrk_check(bare, applicants, args.duration, work)
            rss = {s.arm.name: peak_rss_mb(s.proc.pid) for s in (gen, bare, bento)}
    report(runs, starts, rss)
    print(f"load generator cross-check, bare arm at 16 clients: {check}")
    after = os.getloadavg()
    print(f"load average after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
