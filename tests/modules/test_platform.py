"""Platform teams: `factory module new|check|publish`, the git-backed registry, and trust."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import NewRequest, add_modules, check_module, list_catalog, new_project, publish_module
from generator._catalog import module_from_path
from generator._manifest import load_module_manifest
from generator.cli import app
from generator.errors import CheckFailedError, UntrustedModuleError, VersionExistsError

from .test_modules import commit_all, git, set_module_version, write_module

# The module's test command checks the rendered file, so a wrong render fails the check.
PASSING_TEST = """[module.test]
setup = ""
command = "grep -Eq '^answer: [a-z-]+$' docs/probe.md"
"""


def probe_module(root: Path, *, version: str = "1.0.0", command: str | None = None) -> Path:
    test = PASSING_TEST if command is None else f'[module.test]\nsetup = ""\ncommand = "{command}"\n'
    module = write_module(
        root,
        "probe",
        f'version = "{version}"\nsummary = "A probe"\n{test}',
        {"docs/probe.md.jinja": "# Probe\n\nanswer: {{ answer }}\n"},
    )
    with (module / "copier.yml").open("a", encoding="utf-8") as config:
        config.write("answer:\n  type: str\n  default: forty-two\n")
    (module / "presets.toml").write_text('[presets.defaults]\n\n[presets.other]\nanswer = "seven"\n', "utf-8")
    return module


TASKY = 'version = "1.0.0"\nsummary = "Runs a task"\n'


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, factory_home: Path) -> Path:
    """An empty team registry (a bare git repository standing in for the team's git server)."""
    bare = tmp_path / "registry.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    monkeypatch.setenv("FACTORY_REGISTRY", str(bare))
    return bare


def test_module_new_writes_a_valid_module_that_adds_cleanly(tmp_path: Path, factory_home: Path) -> None:
    result = CliRunner().invoke(app, ["module", "new", "fraud-signals", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    module = tmp_path / "fraud-signals"
    info = load_module_manifest(module / "module.toml").module
    assert (info.name, info.version, info.python_dependencies) == (
        "fraud-signals",
        "0.1.0",
        ["tenacity==9.2.1"],
    )
    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    added = add_modules(project, ["fraud-signals"], catalog={"fraud-signals": module_from_path(module)})
    files = added.applied[0].files
    assert "src/loan_scoring/integrations/fraud_signals.py" in files
    code = (project / "src/loan_scoring/integrations/fraud_signals.py").read_text(encoding="utf-8")
    assert "{{" not in code
    assert 'ENV_PREFIX}FRAUD_SIGNALS_"' in code
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "E,F,I", str(project / "src")]
    assert subprocess.run(ruff, check=False).returncode == 0


def test_check_renders_each_preset_and_runs_the_module_test(tmp_path: Path, factory_home: Path) -> None:
    module = probe_module(tmp_path / "src")
    result = check_module(module)
    assert result.ok, result.runs
    assert [(r.preset, r.scenario) for r in result.runs] == [("defaults", "fresh"), ("other", "fresh")]


def test_check_fails_when_the_module_test_fails(tmp_path: Path, factory_home: Path) -> None:
    module = probe_module(tmp_path / "src", command="grep -q 'answer: seven' docs/probe.md")
    result = check_module(module)
    assert [r.ok for r in result.runs] == [False, True]
    assert "exited 1" in result.runs[0].output
    cli = CliRunner().invoke(app, ["module", "check", str(module)])
    assert cli.exit_code == 1
    assert "failed its check" in cli.output


def test_publish_records_versions_that_list_and_add_read(tmp_path: Path, registry: Path) -> None:
    module = probe_module(tmp_path / "src")
    published = CliRunner().invoke(app, ["module", "publish", str(module)])
    assert published.exit_code == 0, published.output
    assert "probe/v1.0.0" in git(registry, "tag")
    assert ("probe", "module", "1.0.0") in [(e.name, e.kind, e.version) for e in list_catalog()]
    again = CliRunner().invoke(app, ["module", "publish", str(module)])
    assert again.exit_code == 2
    assert "already in the registry" in again.output

    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    add_modules(project, ["probe"], {"answer": "nine"})
    assert "answer: nine" in (project / "docs/probe.md").read_text(encoding="utf-8")


def test_publish_refuses_a_module_whose_check_fails(tmp_path: Path, registry: Path) -> None:
    module = probe_module(tmp_path / "src", command="false")
    with pytest.raises(CheckFailedError, match="failed its check"):
        publish_module(module)
    assert git(registry, "tag") == ""


def test_check_upgrades_from_the_previous_published_version(tmp_path: Path, registry: Path) -> None:
    module = probe_module(tmp_path / "src")
    publish_module(module)
    (module / "template" / "docs" / "probe.md.jinja").write_text(
        "# Probe\n\nanswer: {{ answer }}\n\nSee also the runbook.\n", encoding="utf-8"
    )
    set_module_version(module, "1.1.0")
    result = check_module(module)
    assert result.ok, result.runs
    assert result.runs[-1].scenario == "upgrade from 1.0.0"
    published = publish_module(module)
    assert published.version == "1.1.0"
    assert "probe/v1.1.0" in git(registry, "tag")


def test_untrusted_module_tasks_are_refused_and_run_with_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, factory_home: Path
) -> None:
    root = tmp_path / "third-party"
    module = write_module(
        root, "tasky", 'version = "1.0.0"\nsummary = "Runs a task"\n', {"docs/t.md": "# T\n"}
    )
    with (module / "copier.yml").open("a", encoding="utf-8") as config:
        config.write("_tasks:\n  - touch task-ran.txt\n")
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(root))
    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path

    refused = CliRunner().invoke(app, ["add", "tasky", "--project", str(project)])
    assert refused.exit_code == 2
    assert "not trusted" in refused.output
    assert "--trust" in refused.output
    assert git(project, "status", "--porcelain") == ""

    with pytest.raises(UntrustedModuleError):
        add_modules(project, ["tasky"])
    add_modules(project, ["tasky"], trust=True)
    assert (project / "task-ran.txt").is_file()


def test_trusted_sources_setting_lets_tasks_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, factory_home: Path
) -> None:
    root = tmp_path / "third-party"
    module = write_module(
        root, "tasky", 'version = "1.0.0"\nsummary = "Runs a task"\n', {"docs/t.md": "# T\n"}
    )
    with (module / "copier.yml").open("a", encoding="utf-8") as config:
        config.write("_tasks:\n  - touch task-ran.txt\n")
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(root))
    monkeypatch.setenv("FACTORY_TRUSTED", str(root))
    project = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path
    add_modules(project, ["tasky"])
    assert (project / "task-ran.txt").is_file()
    commit_all(project)


def test_publishing_an_existing_version_is_refused_before_checking(tmp_path: Path, registry: Path) -> None:
    module = probe_module(tmp_path / "src")
    publish_module(module)
    (module / "module.toml").write_text(
        (module / "module.toml").read_text(encoding="utf-8").replace('command = "', 'command = "false && '),
        encoding="utf-8",
    )
    with pytest.raises(VersionExistsError):
        publish_module(module)
