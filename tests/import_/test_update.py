"""Converted hooks run when the module is applied, never again on `copier update` (as with cookiecutter)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import copier

from generator._cookiecutter import ImportRequest, import_cookiecutter
from tests.import_.compare import build_template

TOP = "{{cookiecutter.slug}}"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)


def test_hooks_do_not_run_again_on_update(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "cookiecutter-notice",
        {"slug": "demo", "owner": "Risk"},
        {
            f"{TOP}/README.md": "Owned by {{ cookiecutter.owner }}.\n",
            "hooks/post_gen_project.py": (
                "open('hooks.log', 'a').write('ran for {{ cookiecutter.owner }}\\n')\n"
            ),
        },
    )
    module = import_cookiecutter(
        ImportRequest(source=template, output_dir=tmp_path / "modules", summary="Notice")
    ).path
    git(module, "init", "-q")
    commit_all(module, "v1", tag="v1.0.0")
    project = tmp_path / "project"
    copier.run_copy(str(module), project, defaults=True, unsafe=True, quiet=True)
    assert (project / "hooks.log").read_text(encoding="utf-8") == "ran for Risk\n"
    git(project, "init", "-q")
    commit_all(project, "generated")

    readme = module / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "Version 2.\n", encoding="utf-8")
    commit_all(module, "v2", tag="v2.0.0")
    copier.run_update(
        project,
        answers_file=".copier-answers.notice.yml",
        defaults=True,
        unsafe=True,
        overwrite=True,
        quiet=True,
    )
    assert (project / "README.md").read_text(encoding="utf-8") == "Owned by Risk.\nVersion 2.\n"
    assert (project / "hooks.log").read_text(encoding="utf-8") == "ran for Risk\n"
