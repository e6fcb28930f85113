"""The next step the import prints works: `factory add` applies the imported module to a generated project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from tests.import_.compare import build_template

TOP = "{{cookiecutter.slug}}"
runner = CliRunner()


def test_imported_module_is_added_to_a_generated_project(
    default_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = build_template(
        tmp_path / "cookiecutter-audit-export",
        {
            "slug": "audit",
            "description": "Audit export jobs",
            "owner": "Risk",
            "_copy_without_render": ["raw/*"],
        },
        {
            f"{TOP}/audit_export/{{{{cookiecutter.slug}}}}_job.txt": "owner={{ cookiecutter.owner }}\n",
            f"{TOP}/raw/notes.txt": "{{ kept }}\n",
        },
    )
    modules = tmp_path / "modules"
    imported = runner.invoke(app, ["import", "cookiecutter", str(template), "--output-dir", str(modules)])
    assert imported.exit_code == 0, imported.output
    project = tmp_path / "project"
    shutil.copytree(default_project, project, symlinks=True)
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(modules))
    added = runner.invoke(app, ["add", "audit-export", "--project", str(project), "--data", "owner=Ops"])
    assert added.exit_code == 0, added.output
    assert (project / "audit_export" / "audit_job.txt").read_text(encoding="utf-8") == "owner=Ops\n"
    assert (project / "raw" / "notes.txt").read_text(encoding="utf-8") == "{{ kept }}\n"
    assert (project / ".copier-answers.audit-export.yml").is_file()
