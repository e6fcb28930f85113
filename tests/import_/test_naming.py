"""The module's name: from --name, else the folder's name, else (a folder that names nothing) the slug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator._cookiecutter import ImportRequest, import_cookiecutter
from generator.cli import app
from tests.import_.compare import build_template

TOP = "{{cookiecutter.project_slug}}"
SLUG = "{{ cookiecutter.project_name.lower().replace(' ', '_') }}"


def import_from(folder: Path, context: dict[str, Any], out: Path) -> str:
    template = build_template(folder, {**context, "description": "Test"}, {f"{TOP}/a.txt": "a"})
    return import_cookiecutter(ImportRequest(source=template, output_dir=out)).name


@pytest.mark.parametrize(
    ("folder", "context", "expected"),
    [
        ("template", {"project_name": "Loan Report", "project_slug": SLUG}, "loan-report"),
        ("templates", {"slug": "audit", "project_name": "Audit Export"}, "audit"),
        ("cookiecutter", {"package_name": "audit_export"}, "audit-export"),
        ("cookiecutter-template", {"project_slug": "fraud-signals"}, "fraud-signals"),
        ("cookiecutter-scoring-report", {"project_slug": "other"}, "scoring-report"),  # the folder names it
    ],
)
def test_a_folder_that_names_no_template_gives_the_slug(
    folder: str, context: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    assert import_from(tmp_path / "src" / folder, context, tmp_path / "out") == expected
    assert (tmp_path / "out" / expected / "module.toml").is_file()


def test_no_slug_either_asks_for_name(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "template", {"owner": "Risk", "description": "Test"}, {f"{TOP}/a.txt": "a"}
    )
    args = ["import", "cookiecutter", str(template), "--output-dir", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Pass --name" in result.output
    assert not (tmp_path / "out").exists()
