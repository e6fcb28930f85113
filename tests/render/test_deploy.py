"""The generated deployment and delivery files: Kubernetes manifests (rendered by kustomize and validated by
the project's own `deploy/check.py`), the compose stack, and the pipelines of each `ci` choice."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import NewRequest, new_project

CASES = {"github": {}, "gitlab-port9000": {"ci": "gitlab", "port": 9000}}


def require(tool: str, why: str) -> str:
    """The tool's path; a skip with the reason (a failure under FACTORY_REQUIRE_TOOLS) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("FACTORY_REQUIRE_TOOLS"):
            pytest.fail(f"{tool} is required (FACTORY_REQUIRE_TOOLS is set): {why}")
        pytest.skip(f"{tool} not installed: {why}")
    return path


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    answers = {"ci": "github", "port": 8000} | CASES[request.param]
    out = tmp_path_factory.mktemp(request.param)
    return answers, new_project(
        NewRequest(name="loan-scoring", output_dir=out, data=CASES[request.param])
    ).path


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def deploy_check(root: Path) -> subprocess.CompletedProcess[str]:
    """The project's `make deploy-check`, run with this interpreter (it has the project's check tools)."""
    require("kubectl", "it renders the kustomize overlays (`kubectl kustomize`)")
    return subprocess.run(
        [sys.executable, "deploy/check.py"], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_deploy_check_passes(project: tuple[dict[str, Any], Path]) -> None:
    _, root = project
    proc = deploy_check(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "production, staging valid" in proc.stdout
    production = list(yaml.safe_load_all((root / "build/deploy/production.yaml").read_text(encoding="utf-8")))
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in production)
    assert kinds == [
        "Deployment/loan-scoring",
        "Deployment/loan-scoring-canary",
        "HorizontalPodAutoscaler/loan-scoring",
        "NetworkPolicy/loan-scoring",
        "PodDisruptionBudget/loan-scoring",
        "PrometheusRule/loan-scoring",
        "Service/loan-scoring",
        "ServiceMonitor/loan-scoring",
    ]


# Edits that break the manifests, each with the line deploy-check must print: every validator can say no.
# All are applied to one copy (one deploy-check run: importing the CRD models takes seconds).
BREAKAGES = [
    (
        "deploy/base/workload/deployment.yaml",
        "imagePullPolicy: IfNotPresent",
        "imagePullPolicy: IfNotPresent\n          imagee: typo",
        "Additional properties are not allowed ('imagee'",
    ),
    (
        "deploy/base/workload/deployment.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        "securityContext.readOnlyRootFilesystem must be true",
    ),
    (
        "deploy/base/workload/deployment.yaml",
        "livenessProbe:",
        "livenessProbeX:",
        "container loan-scoring: no livenessProbe",
    ),
    (
        "deploy/base/servicemonitor.yaml",
        "path: /metrics",
        "pathh: /metrics",
        "ServiceMonitor/loan-scoring: unknown field spec.endpoints[0].pathh",
    ),
    (
        "monitoring/alerts.yml",
        'feature_drift_psi{job="loan-scoring"} > 0.2\n',
        'feature_drift_psi{job="loan-scoring"} > 0.3\n',
        "spec differs from monitoring/alerts.yml",
    ),
]


def test_deploy_check_rejects_broken_manifests(default_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(default_project, root, ignore=shutil.ignore_patterns(".git", "build"))
    for relpath, old, new, _ in BREAKAGES:
        target = root / relpath
        text = target.read_text(encoding="utf-8")
        assert old in text
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    proc = deploy_check(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    missing = [message for *_, message in BREAKAGES if message not in proc.stderr]
    assert missing == [], proc.stderr


def test_prometheusrule_carries_the_alert_rules(project: tuple[dict[str, Any], Path]) -> None:
    _, root = project
    rule = load(root / "deploy/base/prometheusrule.yaml")
    assert rule["spec"] == load(root / "monitoring/alerts.yml")
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert "CanaryErrorRateHigh" in alerts


def test_manifests_follow_the_answers(project: tuple[dict[str, Any], Path]) -> None:
    answers, root = project
    deployment = load(root / "deploy/base/workload/deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": answers["port"], "protocol": "TCP"}]
    assert {"name": "LOAN_SCORING_PORT", "value": str(answers["port"])} in container["env"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    service = load(root / "deploy/base/service.yaml")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    monitor = load(root / "deploy/base/servicemonitor.yaml")
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert "track" in monitor["spec"]["podTargetLabels"]  # CanaryErrorRateHigh selects on it


def test_compose_stack_is_wired(project: tuple[dict[str, Any], Path]) -> None:
    """No Docker engine here: check what `docker compose config` cannot (mounts exist, names match)."""
    answers, root = project
    compose = load(root / "compose.yaml")
    assert set(compose["services"]) == {"loan-scoring", "prometheus", "grafana"}
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert (root / source).exists(), f"compose mounts {source}, which the project lacks"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    scrape = load(root / "monitoring/compose/prometheus.yml")
    assert scrape["scrape_configs"][0]["static_configs"][0]["targets"] == [f"loan-scoring:{answers['port']}"]
    assert (root / "monitoring/compose" / scrape["rule_files"][0]).resolve() == root / "monitoring/alerts.yml"
    datasource = load(root / "monitoring/grafana/provisioning/datasources/prometheus.yml")["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"


def test_compose_prometheus_config_loads(project: tuple[dict[str, Any], Path]) -> None:
    _, root = project
    promtool = require("promtool", "Debian package prometheus; CI installs it")
    proc = subprocess.run(
        [promtool, "check", "config", "monitoring/compose/prometheus.yml"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def release_steps(script: list[str]) -> list[str]:
    return [m for line in script for m in re.findall(r"deploy/release\.py (\w+)", line)]


def test_pipeline_gates_production(project: tuple[dict[str, Any], Path]) -> None:
    """Staging deploys first; production waits for an approval, then runs the canary, then promotes."""
    answers, root = project
    if answers["ci"] == "github":
        jobs = load(root / ".github/workflows/deploy.yml")["jobs"]
        assert jobs["checks"]["uses"] == "./.github/workflows/ci.yml"
        steps = {
            name: release_steps([s.get("run", "") for s in job.get("steps", [])])
            for name, job in jobs.items()
        }
        assert jobs["production"]["environment"] == "production"
        assert set(jobs["production"]["needs"]) == {"image", "staging"}
        assert all("permissions" in job for job in jobs.values())
    else:
        jobs = load(root / ".gitlab-ci.yml")
        steps = {
            name: release_steps(job.get("script", [])) for name, job in jobs.items() if isinstance(job, dict)
        }
        assert jobs["production"]["environment"]["name"] == "production"
        assert jobs["production"]["rules"][0]["when"] == "manual"
        assert jobs["production"]["rules"][0]["allow_failure"] is False  # a blocking manual job
        assert "staging" in jobs["production"]["needs"]
    assert steps["staging"] == ["deploy"]
    assert steps["production"] == ["canary", "promote"]


# What each `ci` choice emits, its schema, and an edit that makes the file invalid under that schema.
PIPELINES = {
    "github": (
        ".github/workflows/deploy.yml",
        ["vendor.github-workflows"],
        ("timeout-minutes: 20", "timeout-minutes: soon"),
    ),
    "gitlab": (
        ".gitlab-ci.yml",
        ["vendor.gitlab-ci", "--data-transform", "gitlab-ci"],
        ("when: manual", "when: sometimes"),
    ),
}


def test_pipeline_schema_rejects_a_broken_pipeline(
    project: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    answers, root = project
    relpath, schema, (old, new) = PIPELINES[answers["ci"]]
    text = (root / relpath).read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / Path(relpath).name
    broken.write_text(text.replace(old, new), encoding="utf-8")
    tool = str(Path(sys.executable).with_name("check-jsonschema"))
    proc = subprocess.run([tool, "--builtin-schema", *schema, str(broken)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout


def test_release_pins_the_image_in_what_kustomize_renders(default_project: Path, tmp_path: Path) -> None:
    """`release.py deploy` hands kubectl a kustomization that the real kustomize renders with the digest."""
    real_kubectl = require("kubectl", "it renders the kustomize overlays (`kubectl kustomize`)")
    root = tmp_path / "project"
    shutil.copytree(default_project, root, ignore=shutil.ignore_patterns(".git", "build"))
    rendered = tmp_path / "applied.yaml"
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(  # `apply -k DIR` renders DIR with the real kubectl; everything else succeeds
        f"#!{sys.executable}\nimport subprocess, sys\n"
        "if sys.argv[1:3] == ['apply', '-k']:\n"
        f"    with open({str(rendered)!r}, 'w') as out:\n"
        f"        proc = subprocess.run([{real_kubectl!r}, 'kustomize', sys.argv[3]], stdout=out)\n"
        "    sys.exit(proc.returncode)\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    image = "ghcr.io/acme/loan-scoring@sha256:" + "ab" * 32
    proc = subprocess.run(
        [sys.executable, "deploy/release.py", "deploy", "--overlay", "production", "--image", image],
        cwd=root,
        env={**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deployments = [
        d for d in yaml.safe_load_all(rendered.read_text(encoding="utf-8")) if d["kind"] == "Deployment"
    ]
    images = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"] for d in deployments
    }
    assert images == {"loan-scoring": image, "loan-scoring-canary": image}
