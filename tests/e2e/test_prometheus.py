"""A real Prometheus server scrapes the generated service on loopback and loads its alert rules.

Needs Debian's `prometheus` package (CI installs it); skipped with the reason when it is missing, a failure
when FACTORY_REQUIRE_TOOLS is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.test_generated_project import free_port, post_json, wait_ready

pytestmark = pytest.mark.slow
JOB = "loan-scoring"
SCORE_REQUESTS = 5


def prometheus_binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        if os.environ.get("FACTORY_REQUIRE_TOOLS"):
            pytest.fail("prometheus is required (FACTORY_REQUIRE_TOOLS is set): apt-get install prometheus")
        pytest.skip("prometheus server not installed (Debian package prometheus); CI installs it")
    return path


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def service(project: Path, venv: Path, tmp_path: Path, api_key: tuple[Path, str]) -> Iterator[str]:
    """The service on a free loopback port, with a scratch directory as its home (its var/ goes there)."""
    port = free_port()
    env = {
        **os.environ,
        "LOAN_SCORING_HOME": str(tmp_path),
        "LOAN_SCORING_HOST": "127.0.0.1",
        "LOAN_SCORING_PORT": str(port),
        "LOAN_SCORING_MODEL_PATH": str(project / "models" / "credit-risk.skops"),
        "LOAN_SCORING_REGIMES_PATH": str(project / "governance" / "regimes.toml"),  # read at start-up too
        "LOAN_SCORING_API_KEYS_PATH": str(api_key[0]),
    }
    log_path = tmp_path / "service.log"
    with log_path.open("w") as log:
        command = [str(venv / "bin" / "loan-scoring"), "serve"]
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc, log_path)
            yield f"127.0.0.1:{port}"
        finally:
            stop(proc)


@pytest.fixture
def prometheus(project: Path, service: str, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping the service every second and evaluating monitoring/alerts.yml every second."""
    binary = prometheus_binary()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(project / "monitoring" / "alerts.yml")],
                "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [service]}]}],
            }
        ),
        encoding="utf-8",
    )
    port = free_port()
    log_path = tmp_path / "prometheus.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            eventually(lambda: api(base, "/-/ready", raw=True), "Prometheus ready", log_path)
            yield base
        finally:
            stop(proc)


def api(base: str, path: str, raw: bool = False, **params: str) -> Any:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read()
    return body if raw else json.loads(body)["data"]


def eventually(check: Callable[[], Any], what: str, log: Path, timeout: float = 60) -> Any:
    """check()'s first truthy result; fail with the Prometheus log when it never comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what}: not reached within {timeout:.0f} s\n{log.read_text(encoding='utf-8')[-3000:]}")


def test_prometheus_scrapes_the_service_and_loads_its_rules(
    project: Path, service: str, prometheus: str, tmp_path: Path, api_key: tuple[Path, str]
) -> None:
    log = tmp_path / "prometheus.log"

    def target_up() -> bool:
        targets = api(prometheus, "/api/v1/targets")["activeTargets"]
        return [(t["labels"]["job"], t["scrapeUrl"], t["health"]) for t in targets] == [
            (JOB, f"http://{service}/metrics", "up")
        ]

    eventually(target_up, "the service's target is up", log)
    applicant = json.loads((project / "tests" / "data" / "applicant.json").read_text(encoding="utf-8"))
    for _ in range(SCORE_REQUESTS):  # after the first scrape, so rate() sees them
        status, body = post_json(f"http://{service}/v1/score", applicant, api_key[1])
        assert status == 200, body

    def scored() -> float:
        query = f'sum(http_requests_total{{job="{JOB}", route="/v1/score", status="200"}})'
        result = api(prometheus, "/api/v1/query", query=query)["result"]
        return float(result[0]["value"][1]) if result else 0.0

    assert eventually(lambda: scored() >= SCORE_REQUESTS, "the score requests arrive as metrics", log)
    ready = api(prometheus, "/api/v1/query", query=f'model_ready{{job="{JOB}"}}')["result"]
    assert [sample["value"][1] for sample in ready] == ["1"]

    expected = yaml.safe_load((project / "monitoring" / "alerts.yml").read_text(encoding="utf-8"))
    expected_rules = {r.get("alert") or r["record"] for g in expected["groups"] for r in g["rules"]}

    def rules_evaluated() -> dict[str, dict[str, Any]]:
        groups = api(prometheus, "/api/v1/rules")["groups"]
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        evaluated = all(r["health"] == "ok" for r in rules.values())
        return rules if evaluated and len(rules) == len(expected_rules) else {}

    rules = eventually(rules_evaluated, "every rule loaded and evaluated without error", log)
    assert set(rules) == expected_rules
    alerts = {name: r["state"] for name, r in rules.items() if r["type"] == "alerting"}
    active = {name: state for name, state in alerts.items() if state != "inactive"}
    assert active == {}, "a healthy service fires no alert"

    def recorded() -> list[Any]:
        query = f'job:score_slow_requests:ratio_rate5m{{job="{JOB}"}}'
        return list(api(prometheus, "/api/v1/query", query=query)["result"])

    # The latency SLO recording rule (evaluated every 30 s) computes a ratio from the scraped histogram.
    assert eventually(recorded, "the latency recording rule has a value", log, timeout=90)
