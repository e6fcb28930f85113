"""deploy/release.py against a recording fake kubectl and a fake Prometheus answering the alert query."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "deploy" / "release.py"
NAME = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
IMAGE = "registry.example/team/app@sha256:" + "ab" * 32


def load_release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_release", RELEASE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


class FakePrometheus(BaseHTTPRequestHandler):
    firing: list[str] = []  # noqa: RUF012 (set per test before the server starts)
    queries: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.queries.append(self.path)
        result = [{"metric": {"alertname": name, "job": NAME}, "value": [0, "1"]} for name in self.firing]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus() -> Iterator[tuple[str, type[FakePrometheus]]]:
    handler = type("Handler", (FakePrometheus,), {"firing": [], "queries": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


def run_release(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    """Run the script with a kubectl that records its arguments and succeeds."""
    bin_dir, log = tmp_path / "bin", tmp_path / "kubectl.log"
    bin_dir.mkdir(exist_ok=True)
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"with open({str(log)!r}, 'a') as f:\n    f.write(' '.join(sys.argv[1:]) + '\\n')\n",
        encoding="utf-8",
    )
    kubectl.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, str(RELEASE), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=60)  # noqa: S603
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return proc.returncode, calls, proc.stdout + proc.stderr


def test_a_firing_canary_alert_rolls_the_canary_back(tmp_path: Path, prometheus: tuple[str, type]) -> None:
    url, handler = prometheus
    handler.firing.append("CanaryErrorRateHigh")
    code, calls, output = run_release(tmp_path, "canary", "--image", IMAGE, "--prometheus", url, "--watch-minutes", "0")
    assert code == 1, output
    assert f"-n {NAME} set image deployment/{NAME}-canary {NAME}={IMAGE}" in calls
    assert calls[-2:] == [
        f"-n {NAME} scale deployment/{NAME}-canary --replicas=0",
        f"-n {NAME} rollout undo deployment/{NAME}-canary",
    ]
    assert "CanaryErrorRateHigh" in output
    assert "CanaryErrorRateHigh" in handler.queries[0]


def test_a_quiet_canary_passes_without_rollback(tmp_path: Path, prometheus: tuple[str, type]) -> None:
    url, _ = prometheus
    code, calls, output = run_release(tmp_path, "canary", "--image", IMAGE, "--prometheus", url, "--watch-minutes", "0")
    assert code == 0, output
    assert not [call for call in calls if "undo" in call or "--replicas=0" in call]


def test_promotion_pins_the_digest_and_undoes_on_a_critical_alert(tmp_path: Path, prometheus: tuple[str, type]) -> None:
    url, handler = prometheus
    handler.firing.append("ErrorBudgetBurnFast")
    args = ("promote", "--image", IMAGE, "--prometheus", url, "--watch-minutes", "0")
    code, calls, output = run_release(tmp_path, *args)
    assert code == 1, output
    assert calls[0] == f"apply -k {ROOT / 'build' / 'release' / 'production'}"
    pinned = (ROOT / "build" / "release" / "production" / "kustomization.yaml").read_text(encoding="utf-8")
    assert f"newName: registry.example/team/app\n    digest: sha256:{'ab' * 32}" in pinned
    assert calls[-1] == f"-n {NAME} rollout undo deployment/{NAME}"


def test_an_unreachable_prometheus_fails_the_step(tmp_path: Path) -> None:
    code, _, output = run_release(
        tmp_path, "canary", "--image", IMAGE, "--prometheus", "http://127.0.0.1:9", "--watch-minutes", "0"
    )
    assert code == 1
    assert "cannot query Prometheus" in output


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("reg.example/app@sha256:00", "reg.example/app@sha256:00"),
        ("reg.example:5000/team/app:1.2.3", "reg.example:5000/team/app:1.2.3"),
        ("reg.example:5000/team/app", "reg.example:5000/team/app:latest"),
    ],
)
def test_image_references_keep_registry_ports(ref: str, expected: str) -> None:
    assert str(load_release().Image.parse(ref)) == expected
