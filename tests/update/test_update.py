"""Template upgrades with user edits: clean merges, conflicts, --pretend, and plain `copier update`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import NewRequest, new_project, update_project
from generator.cli import app
from generator.errors import DirtyProjectError

NOTES_V1 = "# Operations notes\n\nIntro line.\n\n## Contacts\n\nOn-call: platform team.\n"
NOTES_V2 = NOTES_V1 + "\n## Escalation\n\nPage the model owner.\n"
USER_TOP_EDIT = "<!-- owned by the loan team -->\n"


def git(project: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return proc.stdout


def set_version(template: Path, version: str) -> None:
    manifest = template / "template.toml"
    text = manifest.read_text(encoding="utf-8")
    lines = [f'version = "{version}"' if line.startswith("version =") else line for line in text.splitlines()]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def project_v1(template_copy: Path, factory_home: Path, tmp_path: Path) -> Path:
    """A project generated from template 1.0.0 (with a NOTES.md file), committed."""
    set_version(template_copy, "1.0.0")
    (template_copy / "template" / "NOTES.md").write_text(NOTES_V1, encoding="utf-8")
    return new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path


def release_v2(template: Path) -> None:
    """Template 1.1.0 appends a section to NOTES.md and adds a new file."""
    set_version(template, "1.1.0")
    (template / "template" / "NOTES.md").write_text(NOTES_V2, encoding="utf-8")
    (template / "template" / "SECURITY.md").write_text(
        "# Security\n\nReport to the CISO.\n", encoding="utf-8"
    )


def user_commit(project: Path, name: str, text: str) -> None:
    (project / name).write_text(text, encoding="utf-8")
    git(project, "commit", "-qam", "user edit")


def test_clean_merge_keeps_user_edit(project_v1: Path, template_copy: Path) -> None:
    user_commit(project_v1, "NOTES.md", USER_TOP_EDIT + NOTES_V1)
    release_v2(template_copy)
    result = update_project(project_v1)
    assert (result.from_version, result.to_version) == ("1.0.0", "1.1.0")
    kinds = {c.path: c.kind for c in result.changes}
    assert kinds["NOTES.md"] == "merged"
    assert kinds["SECURITY.md"] == "new"
    assert kinds[".copier-answers.yml"] == "updated"
    assert result.conflicts == []
    notes = (project_v1 / "NOTES.md").read_text(encoding="utf-8")
    assert notes.startswith(USER_TOP_EDIT)
    assert "## Escalation" in notes
    assert "_commit: v1.1.0" in (project_v1 / ".copier-answers.yml").read_text(encoding="utf-8")


def test_untouched_file_is_reported_updated(project_v1: Path, template_copy: Path) -> None:
    release_v2(template_copy)
    result = update_project(project_v1)
    assert {c.path: c.kind for c in result.changes}["NOTES.md"] == "updated"
    assert (project_v1 / "NOTES.md").read_text(encoding="utf-8") == NOTES_V2


def test_conflict_is_reported_with_exit_3_and_both_sides_kept(project_v1: Path, template_copy: Path) -> None:
    user_commit(project_v1, "NOTES.md", NOTES_V1 + "\n## Our runbook\n\nCall Priya.\n")
    release_v2(template_copy)
    result = CliRunner().invoke(app, ["update", str(project_v1)])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "NOTES.md" in result.stderr
    assert "conflict" in result.stdout
    notes = (project_v1 / "NOTES.md").read_text(encoding="utf-8")
    assert "Call Priya." in notes  # the user's side
    assert "Page the model owner." in notes  # the template's side
    assert "<<<<<<<" in notes


def test_a_deleted_file_the_user_edited_is_kept_as_a_conflict(project_v1: Path, template_copy: Path) -> None:
    """The new version deletes NOTES.md (edited: kept, exit 3) and GUIDE.md (untouched: removed)."""
    (template_copy / "template" / "GUIDE.md").write_text("# Guide\n", encoding="utf-8")
    release_v2(template_copy)  # 1.1.0 with GUIDE.md, then 1.2.0 without NOTES.md and GUIDE.md
    update_project(project_v1)
    git(project_v1, "add", "-A")
    git(project_v1, "commit", "-qm", "update to 1.1.0")
    user_commit(project_v1, "NOTES.md", USER_TOP_EDIT + NOTES_V2)
    set_version(template_copy, "1.2.0")
    (template_copy / "template" / "NOTES.md").unlink()
    (template_copy / "template" / "GUIDE.md").unlink()

    result = CliRunner().invoke(app, ["update", str(project_v1)])

    assert result.exit_code == 3, result.stdout + result.stderr
    lines = {tuple(line.split()[:2]) for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {("conflict", "NOTES.md"), ("removed", "GUIDE.md")} <= lines
    notes = (project_v1 / "NOTES.md").read_text(encoding="utf-8")
    assert USER_TOP_EDIT + NOTES_V2 in notes  # the user's edit, whole
    assert notes.startswith("<<<<<<< ") and ">>>>>>> " in notes
    assert not (project_v1 / "GUIDE.md").exists()
    status = CliRunner().invoke(app, ["status", str(project_v1)])
    assert status.exit_code == 3 and "NOTES.md" in status.stdout


def test_pretend_lists_changes_and_touches_nothing(project_v1: Path, template_copy: Path) -> None:
    user_commit(project_v1, "NOTES.md", USER_TOP_EDIT + NOTES_V1)
    head = git(project_v1, "rev-parse", "HEAD")
    release_v2(template_copy)
    result = CliRunner().invoke(app, ["update", "--pretend", str(project_v1)])
    assert result.exit_code == 0, result.stderr
    lines = {tuple(line.split()[:2]) for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {("merged", "NOTES.md"), ("new", "SECURITY.md"), ("updated", ".copier-answers.yml")} <= lines
    assert git(project_v1, "status", "--porcelain") == ""
    assert git(project_v1, "rev-parse", "HEAD") == head
    assert not (project_v1 / "SECURITY.md").exists()


def test_pretend_reports_conflicts_without_failing(project_v1: Path, template_copy: Path) -> None:
    user_commit(project_v1, "NOTES.md", NOTES_V1 + "\n## Our runbook\n")
    release_v2(template_copy)
    result = update_project(project_v1, pretend=True)
    assert result.conflicts == ["NOTES.md"]
    assert "<<<<<<<" not in (project_v1 / "NOTES.md").read_text(encoding="utf-8")


def test_pretend_exits_3_like_the_update_when_it_would_conflict(
    project_v1: Path, template_copy: Path
) -> None:
    user_commit(project_v1, "NOTES.md", NOTES_V1 + "\n## Our runbook\n\nCall Priya.\n")
    head = git(project_v1, "rev-parse", "HEAD")
    release_v2(template_copy)
    result = CliRunner().invoke(app, ["update", "--pretend", str(project_v1)])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "would leave 1 file(s) with conflicts: NOTES.md" in result.stderr
    assert ("conflict", "NOTES.md") in {tuple(line.split()[:2]) for line in result.stdout.splitlines()}
    assert git(project_v1, "status", "--porcelain") == ""
    assert git(project_v1, "rev-parse", "HEAD") == head


def test_dirty_project_is_refused(project_v1: Path, template_copy: Path) -> None:
    (project_v1 / "NOTES.md").write_text("uncommitted", encoding="utf-8")
    release_v2(template_copy)
    with pytest.raises(DirtyProjectError, match=r"NOTES\.md"):
        update_project(project_v1)
    assert (project_v1 / "NOTES.md").read_text(encoding="utf-8") == "uncommitted"


def test_up_to_date_is_a_no_op(project_v1: Path) -> None:
    result = update_project(project_v1)
    assert result.up_to_date
    assert git(project_v1, "status", "--porcelain") == ""


def test_plain_copier_update_from_another_folder(
    project_v1: Path, template_copy: Path, tmp_path: Path
) -> None:
    """The recorded source is absolute, so `copier update` works wherever it is run from."""
    user_commit(project_v1, "NOTES.md", USER_TOP_EDIT + NOTES_V1)
    release_v2(template_copy)
    update_project(project_v1, pretend=True)  # any factory command refreshes the store with 1.1.0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", str(project_v1)],
        cwd=elsewhere,
        check=True,
        capture_output=True,
    )
    notes = (project_v1 / "NOTES.md").read_text(encoding="utf-8")
    assert notes.startswith(USER_TOP_EDIT)
    assert "## Escalation" in notes


def test_team_git_server_as_source(
    template_copy: Path, factory_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform team pushes the store to its git server and points the factory at it with one setting."""
    from generator._catalog import get_template
    from generator._sources import publish_to_store

    set_version(template_copy, "1.0.0")
    store = Path(publish_to_store(get_template("service")).src)
    server = tmp_path / "server" / "service.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(store), str(server)], check=True)
    monkeypatch.setenv("FACTORY_SOURCE_SERVICE", server.as_uri())

    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert f"_src_path: {server.as_uri()}" in answers
    assert "_commit: v1.0.0" in answers

    release_v2(template_copy)
    publish_to_store(get_template("service"))
    subprocess.run(["git", "push", "-q", "--tags", str(server), "main"], cwd=store, check=True)
    result = update_project(project)
    assert result.to_version == "1.1.0"
    assert (project / "SECURITY.md").is_file()


def test_deleted_edits_come_back_text_between_markers_binary_as_it_was(tmp_path: Path) -> None:
    from generator._project import has_conflict_markers
    from generator._update import FileChange, keep_deleted_edits

    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "notes.md").write_text("ours, no final newline", encoding="utf-8")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (repo / "run.sh").write_text("#!/bin/sh\necho ours\n", encoding="utf-8")
    (repo / "run.sh").chmod(0o755)
    git(repo.parent, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "user state")
    for rel in ("docs/notes.md", "logo.png", "run.sh"):
        (repo / rel).unlink()
    (repo / "docs").rmdir()

    keep_deleted_edits(repo, [FileChange(rel, "conflict") for rel in ("docs/notes.md", "logo.png", "run.sh")])

    notes = (repo / "docs" / "notes.md").read_text(encoding="utf-8")
    assert notes.startswith(
        "<<<<<<< before updating\nours, no final newline\n=======\n>>>>>>> after updating"
    )
    assert has_conflict_markers(repo / "docs" / "notes.md")
    assert (repo / "logo.png").read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert "echo ours" in (repo / "run.sh").read_text(encoding="utf-8")
    assert (repo / "run.sh").stat().st_mode & 0o111  # still executable


WEIGHTS_V1, WEIGHTS_OURS = b"\x00\x01weights-v1\xff", b"\x00\x01retrained\xfe"
WEIGHTS_V2 = b"\x00\x02weights-v2\xff"


@pytest.fixture
def project_with_weights(template_copy: Path, factory_home: Path, tmp_path: Path) -> Path:
    """A 1.0.0 project whose binary weights.bin the user replaced (retrained), committed."""
    set_version(template_copy, "1.0.0")
    (template_copy / "template" / "weights.bin").write_bytes(WEIGHTS_V1)
    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    (project / "weights.bin").write_bytes(WEIGHTS_OURS)
    git(project, "commit", "-qam", "retrained")
    return project


def test_a_binary_file_the_user_changed_is_kept(project_with_weights: Path, template_copy: Path) -> None:
    """Copier carries edits as a text diff without binary changes: the factory puts the user's copy back."""
    release_v2(template_copy)
    result = update_project(project_with_weights)
    assert (project_with_weights / "weights.bin").read_bytes() == WEIGHTS_OURS
    assert "weights.bin" not in {c.path for c in result.changes}
    assert result.conflicts == []


def test_a_binary_file_both_sides_changed_stays_the_users_and_is_a_conflict(
    project_with_weights: Path, template_copy: Path
) -> None:
    release_v2(template_copy)
    (template_copy / "template" / "weights.bin").write_bytes(WEIGHTS_V2)
    result = CliRunner().invoke(app, ["update", str(project_with_weights)])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert ("conflict", "weights.bin") in {tuple(line.split()[:2]) for line in result.stdout.splitlines()}
    assert (project_with_weights / "weights.bin").read_bytes() == WEIGHTS_OURS


def test_a_binary_file_the_user_never_changed_takes_the_new_version(
    template_copy: Path, factory_home: Path, tmp_path: Path
) -> None:
    set_version(template_copy, "1.0.0")
    (template_copy / "template" / "weights.bin").write_bytes(WEIGHTS_V1)
    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    release_v2(template_copy)
    (template_copy / "template" / "weights.bin").write_bytes(WEIGHTS_V2)
    result = update_project(project)
    assert {c.path: c.kind for c in result.changes}["weights.bin"] == "updated"
    assert (project / "weights.bin").read_bytes() == WEIGHTS_V2
