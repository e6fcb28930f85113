"""Slow end-to-end tests: the generated project installs, passes its own checks, starts and serves.

One project and one virtualenv (tests/e2e/conftest.py) are shared by every slow test (installing
takes a minute).
Select with ``pytest -m slow``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import update_project

pytestmark = pytest.mark.slow


def run_make(project: Path, venv: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", f"VENV={venv}", *targets], cwd=project, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize("target", ["lint", "typecheck", "test"])
def test_make_target_passes(project: Path, venv: Path, target: str) -> None:
    proc = run_make(project, venv, target)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def test_formatter_changes_nothing(project: Path, venv: Path) -> None:
    proc = run_make(project, venv, "format")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
    assert status.stdout == ""


def test_update_at_same_version_is_a_no_op(project: Path) -> None:
    result = update_project(project)
    assert result.up_to_date
    diff = subprocess.run(["git", "diff", "--stat"], cwd=project, capture_output=True, text=True)
    assert diff.stdout == ""


def test_builder_stage_builds_a_wheel(project: Path, venv: Path, tmp_path: Path) -> None:
    """The Dockerfile's builder stage builds the project's wheel; run that step here (no Docker engine)."""
    proc = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(project),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("loan_scoring-*.whl"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(project: Path, venv: Path, tmp_path: Path, api_key: tuple[Path, str]) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "LOAN_SCORING_HOST": "127.0.0.1",
        "LOAN_SCORING_PORT": str(port),
        "LOAN_SCORING_API_KEYS_PATH": str(api_key[0]),
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(venv / "bin" / "loan-scoring"), "serve"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, tmp_path / "server.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"service exited with {proc.returncode}:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"service not ready after 60 s:\n{log.read_text(encoding='utf-8')}")


def post_json(url: str, body: object, key: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_service_starts_and_scores(server: str, project: Path, api_key: tuple[Path, str]) -> None:
    example = json.loads((project / "tests" / "data" / "applicant.json").read_text(encoding="utf-8"))
    status, body = post_json(f"{server}/v1/score", example)
    assert status == 401, body  # no key, no score
    key = api_key[1]
    status, body = post_json(f"{server}/v1/score", example, key)
    assert status == 200, body
    assert body["decision"] in {"approve", "refer", "decline"}
    assert body["model_version"]
    assert body["request_id"]
    with urllib.request.urlopen(f"{server}/metrics", timeout=5) as response:
        assert b"# TYPE" in response.read()
    status, body = post_json(f"{server}/v1/score", {**example, "monthly_income": False}, key)
    assert status == 422
