import subprocess
from pathlib import Path

import pytest

from generator import _git


def test_first_commit_without_a_configured_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("[user]\n\tuseConfigOnly = true\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    project = tmp_path / "p"
    project.mkdir()
    (project / "a.txt").write_text("a", encoding="utf-8")
    _git.init_and_commit(project, "first")
    author = subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae>"], cwd=project, capture_output=True, text=True, check=True
    )
    assert author.stdout.strip() == "factory <factory@localhost>"


def test_user_identity_wins(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "a.txt").write_text("a", encoding="utf-8")
    _git.init_and_commit(project, "first")
    author = subprocess.run(["git", "log", "-1", "--format=%ae"], cwd=project, capture_output=True, text=True)
    assert author.stdout.strip() == "tests@factory.invalid"  # from the session's isolated git config
