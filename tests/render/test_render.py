"""Fast render tests: every template file renders for the defaults and for each choice, and the output
is well-formed (parses, loads, passes ruff and yamllint) before anything slow is tried."""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from generator import NewRequest, new_project

# One render per answer of each choice question, not the cartesian product.
CASES = {
    "defaults": {},
    "py312": {"python_version": "3.12", "regimes": "sr-26-2"},
    "py313-mit": {"python_version": "3.13", "license": "MIT", "regimes": "eu-ai-act,dpdp"},
    "apache-port9000": {"license": "Apache-2.0", "port": 9000, "max_request_bytes": 4096},
    "gitlab": {"ci": "gitlab", "regimes": "sebi-ai-ml,cert-in", "region": "in-mumbai-dc1"},
}
# Jinja left in the output. Not Jinja: GitHub Actions' `${{ }}`, Prometheus alert templates
# (`{{ $labels.x }}`, `{{ $value }}`) and Grafana legends (`"legendFormat": "{{status}}"`).
UNRENDERED = re.compile(r"(?<!\$)\{\{(?!\s*\$)|\{%|%\}")
FOREIGN_TEMPLATE_LINE = re.compile(r'"legendFormat":')
BINARY_SUFFIXES = {".skops", ".png", ".ico"}


def bin_of(tool: str) -> str:
    return str(Path(sys.executable).with_name(tool))


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    name = "fraud-check" if request.param != "defaults" else "loan-scoring"
    out = tmp_path_factory.mktemp(request.param)
    result = new_project(NewRequest(name=name, output_dir=out, data=CASES[request.param]))
    return request.param, result.path


def text_files(root: Path) -> list[Path]:
    return [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts and p.suffix not in BINARY_SUFFIXES
    ]


def test_no_unrendered_template_syntax(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    leftovers = [
        f"{p.relative_to(root)}:{n}: {line.strip()}"
        for p in text_files(root)
        if not p.name.endswith(".md")  # Markdown may show Jinja or GitHub expressions in code blocks
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if UNRENDERED.search(line) and not FOREIGN_TEMPLATE_LINE.search(line)
    ]
    assert leftovers == []
    assert not [p for p in root.rglob("*.jinja")]


def test_every_file_parses(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    for path in text_files(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)


def test_answers_file_records_absolute_source_and_version(rendered: tuple[str, Path]) -> None:
    case, root = rendered
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert Path(answers["_src_path"]).is_absolute()
    assert re.fullmatch(r"v\d+\.\d+\.\d+(\+[0-9a-f]+)?", answers["_commit"])
    for key, value in CASES[case].items():
        assert answers[key] == value if key != "regimes" else sorted(answers[key]) == sorted(value.split(","))


def test_package_named_after_project(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    package = root.name.replace("-", "_")
    assert (root / "src" / package / "__init__.py").is_file()
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == root.name
    assert root.name in pyproject["project"]["scripts"]


def test_choices_reach_the_files(rendered: tuple[str, Path]) -> None:
    case, root = rendered
    answers = {"python_version": "3.11", "license": "Proprietary", "port": 8000} | CASES[case]
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    assert f"python:{answers['python_version']}" in dockerfile
    assert f"EXPOSE {answers['port']}" in dockerfile
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    licence = root / "LICENSE"
    if answers["license"] == "Apache-2.0":
        assert "Apache License" in licence.read_text(encoding="utf-8")
    elif answers["license"] == "MIT":
        assert "MIT License" in licence.read_text(encoding="utf-8")


def test_regimes_and_region_reach_the_files_and_agree(rendered: tuple[str, Path]) -> None:
    """The selected regimes land in governance/regimes.toml; the default region satisfies their residency."""
    case, root = rendered
    regimes = tomllib.loads((root / "governance" / "regimes.toml").read_text(encoding="utf-8"))
    chosen = CASES[case].get("regimes", "rbi-free-ai,rbi-mrm-2026,dpdp,cert-in").split(",")
    assert sorted(regimes["selected"]) == sorted(chosen)
    meta = next(root.glob("src/*/_meta.py")).read_text(encoding="utf-8")
    region = re.search(r'^DEFAULT_REGION = "(.+)"$', meta, re.MULTILINE)
    assert region is not None
    required = {regimes["regimes"][name].get("residency") for name in chosen} - {None}
    assert len(required) <= 1
    for where in required:
        patterns = regimes["jurisdictions"][where]["regions"]
        assert any(fnmatch.fnmatchcase(region[1], p) for p in patterns), (region[1], where)


def test_ruff_passes_on_output(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        proc = subprocess.run([bin_of("ruff"), *args], cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_yamllint_passes_on_output(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    proc = subprocess.run([bin_of("yamllint"), "-s", "."], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_project_is_committed(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True)
    assert status.stdout == ""


def ci_of(case: str) -> str:
    return str(CASES[case].get("ci", "github"))


# Format validators: name -> (the `ci` answer they apply to, or None for every project; command).
WORKFLOWS = [".github/workflows/ci.yml", ".github/workflows/deploy.yml"]
GITLAB_CI = ".gitlab-ci.yml"
SCHEMA = ["check-jsonschema", "--builtin-schema"]
VALIDATORS: dict[str, tuple[str | None, list[str]]] = {
    "hadolint": (None, ["hadolint", "Dockerfile"]),
    "actionlint": ("github", ["actionlint", "-no-color"]),
    "workflow-schema": ("github", [*SCHEMA, "vendor.github-workflows", *WORKFLOWS]),
    "gitlab-ci-schema": ("gitlab", [*SCHEMA, "vendor.gitlab-ci", "--data-transform", "gitlab-ci", GITLAB_CI]),
    "renovate-schema": (None, [*SCHEMA, "vendor.renovate", "renovate.json"]),
    "compose-schema": (None, [*SCHEMA, "vendor.compose-spec", "compose.yaml"]),
    "pre-commit-config": (None, ["pre-commit", "validate-config", ".pre-commit-config.yaml"]),
}


@pytest.mark.parametrize(
    ("rendered", "command"),
    [
        pytest.param(case, command, id=f"{case}-{name}")
        for case in CASES
        for name, (ci, command) in VALIDATORS.items()
        if ci in (None, ci_of(case))
    ],
    indirect=["rendered"],
)
def test_format_validators_pass(rendered: tuple[str, Path], command: list[str]) -> None:
    _, root = rendered
    proc = subprocess.run([bin_of(command[0]), *command[1:]], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Adding or dropping a generated file must show up in review: update this list on purpose.
EXPECTED_FILES = [
    ".copier-answers.yml",
    ".dockerignore",
    ".editorconfig",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".yamllint.yaml",
    "Dockerfile",
    "LICENSE",
    "Makefile",
    "README.md",
    "bench/bench_audit.py",
    "bench/bench_families.py",
    "bench/bench_metrics.py",
    "bench/loadtest.py",
    "compose.yaml",
    "contract/api-v1.json",
    "deploy/base/hpa.yaml",
    "deploy/base/kustomization.yaml",
    "deploy/base/networkpolicy.yaml",
    "deploy/base/pdb.yaml",
    "deploy/base/prometheusrule.yaml",
    "deploy/base/service.yaml",
    "deploy/base/servicemonitor.yaml",
    "deploy/base/workload/deployment.yaml",
    "deploy/base/workload/kustomization.yaml",
    "deploy/check.py",
    "deploy/overlays/production/canary/kustomization.yaml",
    "deploy/overlays/production/kustomization.yaml",
    "deploy/overlays/staging/kustomization.yaml",
    "deploy/release.py",
    "docs/bring-your-own-model.md",
    "docs/compliance.md",
    "docs/runbook.md",
    "docs/use-case-contract.md",
    "governance/fairness.toml",
    "governance/regimes.toml",
    "models/MODEL_CARD.md",
    "models/credit-risk.json",
    "models/drift-baseline.json",
    "models/credit-risk.skops",
    "models/fairness-report.json",
    "models/inventory.json",
    "models/model-card.json",
    "monitoring/alerts.yml",
    "monitoring/compose/prometheus.yml",
    "monitoring/grafana/dashboard.json",
    "monitoring/grafana/provisioning/dashboards/dashboards.yml",
    "monitoring/grafana/provisioning/datasources/prometheus.yml",
    "monitoring/prometheus.yml",
    "monitoring/tests/alerts_test.yml",
    "pyproject.toml",
    "renovate.json",
    "src/{package}/__init__.py",
    "src/{package}/_meta.py",
    "src/{package}/access.py",
    "src/{package}/admin.py",
    "src/{package}/app.py",
    "src/{package}/audit/__init__.py",
    "src/{package}/audit/_archive.py",
    "src/{package}/audit/_chain.py",
    "src/{package}/audit/_heads.py",
    "src/{package}/audit/_sqlite.py",
    "src/{package}/audit/_store.py",
    "src/{package}/audit/_witness.py",
    "src/{package}/audit/_witnessed.py",
    "src/{package}/audit/_writer.py",
    "src/{package}/audit/commands.py",
    "src/{package}/cli.py",
    "src/{package}/console/console.js",
    "src/{package}/console/index.html",
    "src/{package}/contract/__init__.py",
    "src/{package}/contract/_codegen.py",
    "src/{package}/contract/_compat.py",
    "src/{package}/contract/_derive.py",
    "src/{package}/contract/_expr.py",
    "src/{package}/contract/_generated.py",
    "src/{package}/contract/_load.py",
    "src/{package}/contract/_schema.py",
    "src/{package}/contract/commands.py",
    "src/{package}/contract/synthetic.py",
    "src/{package}/contract/validators.py",
    "src/{package}/controls.py",
    "src/{package}/decisions.py",
    "src/{package}/errors.py",
    "src/{package}/governance/__init__.py",
    "src/{package}/governance/card.py",
    "src/{package}/governance/errors.py",
    "src/{package}/governance/fairness.py",
    "src/{package}/governance/files.py",
    "src/{package}/governance/importing.py",
    "src/{package}/governance/inventory.py",
    "src/{package}/governance/regimes.py",
    "src/{package}/governance/rollback.py",
    "src/{package}/incidents.py",
    "src/{package}/integrations/__init__.py",
    "src/{package}/keys.py",
    "src/{package}/killswitch.py",
    "src/{package}/logs.py",
    "src/{package}/metrics.py",
    "src/{package}/middleware.py",
    "src/{package}/model/__init__.py",
    "src/{package}/model/artifact.py",
    "src/{package}/model/boosters.py",
    "src/{package}/model/data.py",
    "src/{package}/model/explain.py",
    "src/{package}/model/drift.py",
    "src/{package}/model/families.py",
    "src/{package}/model/features.py",
    "src/{package}/model/inputs.py",
    "src/{package}/model/onnx_model.py",
    "src/{package}/model/shapley.py",
    "src/{package}/model/sklearn_model.py",
    "src/{package}/model/train.py",
    "src/{package}/model/treeshap.py",
    "src/{package}/operations.py",
    "src/{package}/obligations.py",
    "src/{package}/oversight.py",
    "src/{package}/policy.py",
    "src/{package}/privacy.py",
    "src/{package}/py.typed",
    "src/{package}/reviews.py",
    "src/{package}/rollout.py",
    "src/{package}/schemas.py",
    "src/{package}/settings.py",
    "src/{package}/storage.py",
    "src/{package}/tracing.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/data/applicant.json",
    "tests/test_access.py",
    "tests/test_api.py",
    "tests/test_api_details.py",
    "tests/test_audit.py",
    "tests/test_audit_cli.py",
    "tests/test_audit_witness.py",
    "tests/test_bench.py",
    "tests/test_cli.py",
    "tests/test_compliance_doc.py",
    "tests/test_console.py",
    "tests/test_contract.py",
    "tests/test_decisions.py",
    "tests/test_drift.py",
    "tests/test_explanations.py",
    "tests/test_failsafe.py",
    "tests/test_fairness.py",
    "tests/test_fuzz.py",
    "tests/test_home.py",
    "tests/test_incidents.py",
    "tests/test_integrations.py",
    "tests/test_inventory.py",
    "tests/test_kill_switch.py",
    "tests/test_loadtest.py",
    "tests/test_logging.py",
    "tests/test_model.py",
    "tests/test_model_card.py",
    "tests/test_model_import.py",
    "tests/test_openapi_fuzz.py",
    "tests/test_privacy.py",
    "tests/test_readme.py",
    "tests/test_red_team.py",
    "tests/test_release.py",
    "tests/test_tracing.py",
    "tests/test_treeshap.py",
    "tests/test_regimes.py",
    "tests/test_reviews.py",
    "tests/test_rollback.py",
    "tests/test_rollout.py",
    "tests/test_validation.py",
    "usecase.toml",
]


# Files that exist for one `ci` answer only (the other leaves no trace).
CI_FILES = {"github": WORKFLOWS, "gitlab": [GITLAB_CI]}


def test_generated_file_list(rendered: tuple[str, Path]) -> None:
    case, root = rendered
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True)
    package = root.name.replace("-", "_")
    expected = [*EXPECTED_FILES, *CI_FILES[ci_of(case)]]
    assert sorted(listed.stdout.split()) == sorted(f.format(package=package) for f in expected)


def test_prometheus_rules_load_and_their_unit_tests_pass(rendered: tuple[str, Path]) -> None:
    _, root = rendered
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("FACTORY_REQUIRE_TOOLS"):
            pytest.fail("promtool is required (FACTORY_REQUIRE_TOOLS is set): apt-get install prometheus")
        pytest.skip("promtool not installed (Debian package prometheus); CI installs it")
    monitoring = root / "monitoring"
    for args, cwd in (
        (["check", "rules", "alerts.yml"], monitoring),
        (["check", "config", "prometheus.yml"], monitoring),
        (["test", "rules", "alerts_test.yml"], monitoring / "tests"),
    ):
        proc = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
