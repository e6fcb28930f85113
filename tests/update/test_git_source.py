"""Projects whose template comes from a git source: a team server (FACTORY_SOURCE_SERVICE) or `_src_path`
edited to a copy of the template repository, as docs/template-versions.md suggests. Sources are local git
repositories under tmp_path: no network."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import NewRequest, add_modules, new_project, update_project
from generator._catalog import get_template
from generator._sources import publish_to_store
from generator.cli import app
from tests.update.test_update import set_version

MODULE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "modules"
EXIT_UNREACHABLE = 5
BASE, NEXT = "1.8.0", "1.9.0"  # any versions the bundled modules support (service>=1.3,<2)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def status_json(project: Path) -> tuple[int, dict[str, dict[str, object]]]:
    code, out, err = invoke("status", "--json", str(project))
    assert code in {0, 4}, out + err
    return code, {c["name"]: c for c in json.loads(out)["components"]}


def release(template: Path, server: Path) -> None:
    """Release template NEXT (it adds SECURITY.md) to the team server: into the store, then pushed."""
    set_version(template, NEXT)
    (template / "template" / "SECURITY.md").write_text(
        "# Security\n\nReport to the CISO.\n", encoding="utf-8"
    )
    store = Path(publish_to_store(get_template("service")).src)
    git(store, "push", "-q", "--tags", str(server), "main")


def set_answers_source(project: Path, src: str) -> None:
    answers = project / ".copier-answers.yml"
    lines = answers.read_text(encoding="utf-8").splitlines()
    answers.write_text(
        "\n".join(f"_src_path: {src}" if line.startswith("_src_path:") else line for line in lines) + "\n",
        encoding="utf-8",
    )
    git(project, "commit", "-qam", "point _src_path elsewhere")


@pytest.fixture
def server(template_copy: Path, factory_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bare git repository holding template BASE, configured as the service template's source."""
    set_version(template_copy, BASE)
    store = Path(publish_to_store(get_template("service")).src)
    bare = tmp_path / "server" / "service.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(store), str(bare)], check=True)
    monkeypatch.setenv("FACTORY_SOURCE_SERVICE", bare.as_uri())
    return bare


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "modules"
    shutil.copytree(MODULE_FIXTURES, root)
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(root))
    return root


@pytest.fixture
def project(server: Path, tmp_path: Path) -> Path:
    path = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    assert f"_src_path: {server.as_uri()}" in (path / ".copier-answers.yml").read_text(encoding="utf-8")
    return path


# Item 7: a second update, when the project is already current, is a no-op (copier's own behaviour).


@pytest.mark.parametrize("pretend", [False, True])
def test_update_of_a_current_project_from_a_git_source_is_a_no_op(project: Path, pretend: bool) -> None:
    head = git(project, "rev-parse", "HEAD")
    code, out, err = invoke("update", *(["--pretend"] if pretend else []), str(project))
    assert code == 0, out + err
    assert f"up to date (template {BASE})" in out
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head


def test_second_update_from_a_git_source_is_a_no_op(project: Path, template_copy: Path, server: Path) -> None:
    release(template_copy, server)
    assert update_project(project).to_version == NEXT
    git(project, "add", "-A")
    git(project, "commit", "-qm", f"update to {NEXT}")
    code, out, err = invoke("update", str(project))
    assert code == 0, out + err
    assert f"up to date (template {NEXT})" in out


def test_module_update_goes_ahead_when_the_git_sourced_base_is_current(project: Path, modules: Path) -> None:
    add_modules(project, ["credit-bureau"])
    git(project, "add", "-A")
    git(project, "commit", "-qm", "add credit-bureau")
    manifest = modules / "credit-bureau" / "module.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('version = "1.0.0"', 'version = "1.1.0"'),
        encoding="utf-8",
    )
    code, out, err = invoke("update", str(project))
    assert code == 0, out + err
    assert "module credit-bureau 1.0.0 → 1.1.0" in out
    assert "template" not in out.split("module credit-bureau")[0]  # the base stays where it is
    answers = (project / ".copier-answers.credit-bureau.yml").read_text(encoding="utf-8")
    assert "_commit: v1.1.0" in answers


# Item 9: status reads the git source's tags as copier does, and says so when it cannot.


def test_status_reads_the_newest_tag_of_the_git_source(
    project: Path, template_copy: Path, server: Path
) -> None:
    code, components = status_json(project)
    assert (code, components["service"]["newest"], components["service"]["outdated"]) == (0, BASE, False)

    release(template_copy, server)
    git(server, "tag", "v2.0.0rc1", f"v{BASE}")  # a pre-release: copier skips it, so must status
    git(server, "tag", "stable", f"v{BASE}")  # not a version: ignored
    code, components = status_json(project)
    assert (code, components["service"]["newest"], components["service"]["outdated"]) == (4, NEXT, True)
    assert update_project(project).to_version == components["service"]["newest"]


@pytest.mark.parametrize("command", [["status"], ["update"], ["update", "--pretend"]])
@pytest.mark.parametrize("source", ["missing-folder", "missing-url", "not-a-repository"])
def test_unreachable_source_exits_5_with_one_clear_error(
    project: Path, tmp_path: Path, command: list[str], source: str
) -> None:
    folder = tmp_path / "plain-folder"
    folder.mkdir()
    src = {
        "missing-folder": str(tmp_path / "nowhere" / "service"),
        "missing-url": (tmp_path / "nowhere.git").as_uri(),
        "not-a-repository": str(folder),
    }[source]
    set_answers_source(project, src)
    head = git(project, "rev-parse", "HEAD")
    code, out, err = invoke(*command, str(project))
    assert code == EXIT_UNREACHABLE, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(f"error: cannot read the template source {src}: ")
    assert lines[1].startswith("hint: Point FACTORY_SOURCE_<NAME> (or _src_path")
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""


def test_new_from_an_unreachable_configured_source_exits_5_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_SOURCE_SERVICE", (tmp_path / "gone.git").as_uri())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = invoke("new", "loan-scoring", "--defaults", "-o", str(out_dir))
    assert code == EXIT_UNREACHABLE, out + err
    assert "Traceback" not in out + err
    assert "cannot read the template source" in err
    assert list(out_dir.iterdir()) == []


# Item 10: `_src_path` edited to a copy of the template repository, as the docs suggest.


@pytest.mark.parametrize("copy", ["bare-url", "plain-path"])
def test_add_and_status_after_editing_src_path_to_a_copy(
    project: Path, server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: str
) -> None:
    monkeypatch.delenv("FACTORY_SOURCE_SERVICE")  # nothing left that names the source for the factory
    bare = copy == "bare-url"
    clone = tmp_path / "copies" / ("service.git" if bare else "service-template")
    subprocess.run(["git", "clone", "-q", *(["--bare"] if bare else []), str(server), str(clone)], check=True)
    src = clone.as_uri() if bare else str(clone)
    set_answers_source(project, src)

    code, components = status_json(project)
    assert code == 0
    assert components["service"]["newest"] == BASE

    code, out, err = invoke("add", "redis-cache", "--project", str(project))
    assert code == 0, out + err
    assert "Added redis-cache" in out
    assert (project / ".copier-answers.redis-cache.yml").is_file()
