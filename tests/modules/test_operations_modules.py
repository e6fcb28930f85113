"""The bundled notifications and core-banking-files modules render into a project (fast).

Their behaviour is tested by their own tests inside a generated project (`factory module check`, the slow
tests/e2e/test_module_*.py); here, what the factory does with them: files, dependencies, the service seam.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator import NewRequest, add_modules, new_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(NewRequest(name="claims-triage", output_dir=tmp_path / "work")).path


def parsed(project: Path, files: list[str]) -> None:
    for path in (project / f for f in files if f.endswith(".py")):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_notifications_renders_its_sender_templates_and_tests(project: Path) -> None:
    [applied] = add_modules(project, ["notifications"]).applied
    package = "src/claims_triage"
    assert f"{package}/integrations/notifications.py" in applied.files
    for event in ("decision_referred", "incident_opened", "kill_switch_engaged", "drift_alert"):
        assert f"{package}/notifications/templates/{event}.txt" in applied.files
    assert "tests/test_notifications.py" in applied.files
    parsed(project, applied.files)
    assert "{{" not in (project / "tests/test_notifications.py").read_text(encoding="utf-8")
    assert "aiosmtpd==1.4.6" in (project / "pyproject.toml").read_text(encoding="utf-8")
    seam = (project / package / "integrations/__init__.py").read_text(encoding="utf-8")
    assert "on_audit: AuditListener | None = None" in seam  # the hook the module listens with


def test_notifications_reads_no_request_field(project: Path) -> None:
    """It works for any use case: the module never names the loan schema or its fields."""
    [applied] = add_modules(project, ["notifications"]).applied
    source = "\n".join(
        (project / f).read_text(encoding="utf-8") for f in applied.files if f.startswith("src/") and f.endswith(".py")
    )
    assert "Applicant" not in source
    assert "monthly_income" not in source


def test_core_banking_files_renders_its_ingest_layout_and_tests(project: Path) -> None:
    [applied] = add_modules(project, ["core-banking-files"]).applied
    package = "src/claims_triage"
    for name in ("layout.py", "ingest.py", "_ledger.py", "__main__.py", "layouts/example.cpy"):
        assert f"{package}/core_banking_files/{name}" in applied.files
    assert f"{package}/integrations/core_banking_files.py" in applied.files
    assert "tests/test_core_banking_files.py" in applied.files
    parsed(project, applied.files)
    test = (project / "tests/test_core_banking_files.py").read_text(encoding="utf-8")
    assert "{{" not in test
    assert '"claims_triage.core_banking_files"' in test  # the crash test runs the module's CLI by name
    source = "\n".join(
        (project / f).read_text(encoding="utf-8") for f in applied.files if f.startswith("src/") and f.endswith(".py")
    )
    assert "Applicant" not in source
