"""The acceptance test of `factory import cookiecutter`: cookiecutter and copier render the same files.

The fixture template is rendered by cookiecutter itself and, after conversion, by copier, for the defaults
and for a second answer set; the two trees must agree on every path, byte and executable bit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator._cookiecutter import ImportRequest, ImportResult, import_cookiecutter
from generator._manifest import load_module_manifest
from tests.conftest import REPO_ROOT
from tests.import_.compare import assert_same_render, render_cookiecutter, snapshot

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "cookiecutter" / "cookiecutter-scoring-report"

SECOND_ANSWERS: dict[str, Any] = {
    "project_name": "Fraud Alerts-EU",
    "owner": "Model Risk & Co <ops@example.com>",
    "retention_days": "30",
    "storage": "s3",
    "include_dashboard": False,
    "enable_alerts": True,
    "thresholds": {"approve": "0.8", "review": "0.5", "label": "custom", "reject": "0.1"},
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    out = tmp_path_factory.mktemp("modules")
    return import_cookiecutter(ImportRequest(source=FIXTURE, output_dir=out))


@pytest.mark.parametrize("answers", [{}, SECOND_ANSWERS], ids=["defaults", "second-answers"])
def test_copier_renders_what_cookiecutter_renders(
    imported: ImportResult, answers: dict[str, Any], tmp_path: Path
) -> None:
    files = assert_same_render(FIXTURE, imported.path, tmp_path, answers)
    assert len(files) >= 20


def test_the_fixture_exercises_what_it_claims(imported: ImportResult, tmp_path: Path) -> None:
    """Guard against a fixture that silently stops covering a feature."""
    files = snapshot(render_cookiecutter(FIXTURE, tmp_path / "cc", SECOND_ANSWERS))
    assert "src/fraud_alerts_eu/storage/s3_backend.py" in files
    assert "NOTICE.txt" in files  # the post-gen hook ran
    assert "alerts.yml" in files and "dashboard.json" not in files
    assert b"{{ report.title }}" in files["templates/report.html"][1]
    assert b"{{ logo.svg }}" in files["assets/raw/README.txt"][1]
    assert files["scripts/run-report.sh"][2]
    readme = files["README.md"][1].decode()
    assert "FRAUD ALERTS-EU report" in readme
    assert "kept as {{ written }}" in readme
    assert "model-risk-&-co" in readme
    assert "Maintained by Model Risk & Co <ops@example.com> (s3)." in readme  # {% include %}
    assert "- reject: 0.1" in readme  # a macro from ../templates
    header = files["src/fraud_alerts_eu/__init__.py"][1].decode()
    assert header.startswith("# Fraud Alerts-EU, maintained by")  # an include from ../templates


def test_module_layout_and_manifest(imported: ImportResult) -> None:
    module = imported.path
    manifest = load_module_manifest(module / "module.toml").module
    assert (manifest.name, manifest.version, manifest.base) == ("scoring-report", "0.1.0", "service>=1.1,<2")
    assert manifest.summary == "Monthly scoring report jobs for a governed credit-scoring service"
    config = yaml.safe_load((module / "copier.yml").read_text(encoding="utf-8"))
    assert config["_subdirectory"] == "template"
    assert config["_answers_file"] == ".copier-answers.scoring-report.yml"
    assert config["storage"]["choices"] == {
        "PostgreSQL": "postgres",
        "Amazon S3": "s3",
        "Local disk": "local",
    }
    assert config["storage"]["help"] == "Where reports are stored"
    assert config["include_dashboard"] == {"type": "bool", "default": True}
    assert config["thresholds"]["type"] == "json"
    assert config["private__report_title"]["when"] is False
    assert len(config["_tasks"]) == 2
    assert (module / "template" / "templates" / "report.html").is_file()  # verbatim: no suffix
    assert (module / "template" / "README.md.jinja").is_file()
    assert os.access(module / "template" / "scripts" / "run-report.sh.jinja", os.X_OK)
    assert "Trust" in (module / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in (module / "templates").iterdir()) == ["license_header.txt", "macros.jinja"]


def test_result_reports_conversions_and_approximations(imported: ImportResult) -> None:
    converted = "\n".join(imported.converted)
    assert "questions from cookiecutter.json" in converted
    assert "hooks/post_gen_project.py became a copier task" in converted
    assert "jsonify" in converted and "{% now %}" in converted
    assert any("pre_gen_project" in w for w in imported.warnings)
    assert imported.needs_trust
