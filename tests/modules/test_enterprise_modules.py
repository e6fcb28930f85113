"""The bundled enterprise modules render into a project: their questions, answers and refusals (fast).

Their behaviour is tested by their own tests inside a generated project (the slow all-modules e2e test
and `factory module check`); here, only what the factory does with their questions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import NewRequest, add_modules, new_project
from generator.cli import app


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path


@pytest.fixture(scope="module")
def untouched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for the refusals, which must leave it as it was."""
    return new_project(NewRequest(name="loan-scoring", output_dir=tmp_path_factory.mktemp("work"))).path


def python_files(project: Path, files: list[str]) -> list[Path]:
    return [project / f for f in files if f.endswith(".py")]


def test_vendor_api_is_generated_for_the_named_vendor_and_url(project: Path) -> None:
    answers = {"vendor_name": "acme-crm", "base_url": "https://acme-crm.example/api/v2"}
    [applied] = add_modules(project, ["vendor-api"], answers).applied
    vendor = (project / "src/loan_scoring/vendor_api/_vendor.py").read_text(encoding="utf-8")
    assert 'VENDOR_NAME = "acme-crm"' in vendor
    assert 'DEFAULT_BASE_URL = "https://acme-crm.example/api/v2"' in vendor
    assert "tests/test_vendor_api.py" in applied.files
    assert "bench/bench_vendor_api.py" in applied.files
    for path in python_files(project, applied.files):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert "{{" not in (project / "tests/test_vendor_api.py").read_text(encoding="utf-8")
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert "httpx==0.29.0" in pyproject


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("vendor_name=Acme CRM", "lowercase letters"),
        ("base_url=ftp://acme.example", "http:// or https:// URL"),
        ("base_url=https://user:pw@acme.example", "without credentials"),
        ('base_url=https://acme.example/"quoted"', "http:// or https:// URL"),
    ],
)
def test_vendor_api_refuses_a_bad_answer_in_one_line_and_writes_nothing(
    untouched: Path, data: str, problem: str
) -> None:
    result = CliRunner().invoke(app, ["add", "vendor-api", "--data", data, "--project", str(untouched)])
    assert result.exit_code == 2, result.output
    assert problem in result.output
    assert "Traceback" not in result.output
    assert not (untouched / "src/loan_scoring/vendor_api").exists()


def test_oidc_auth_renders_its_authenticator_and_pins_pyjwt(project: Path) -> None:
    [applied] = add_modules(project, ["oidc-auth"]).applied
    assert "src/loan_scoring/integrations/oidc_auth.py" in applied.files
    assert "tests/test_oidc_auth.py" in applied.files
    for path in python_files(project, applied.files):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert "pyjwt[crypto]==2.15.1" in (project / "pyproject.toml").read_text(encoding="utf-8")
