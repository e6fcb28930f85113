"""`factory add`, `factory new --module`, `factory remove`, `factory status` and module updates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import NewRequest, add_modules, new_project, project_status, remove_module, update_project
from generator.cli import app
from generator.errors import DirtyProjectError, ModuleConflictError, UnknownModuleError, UnsupportedBaseError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "modules"
BUREAU_FILES = [
    ".copier-answers.credit-bureau.yml",
    "src/loan_scoring/integrations/credit_bureau.py",
    "tests/test_credit_bureau.py",
]


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout


def commit_all(project: Path, message: str = "user change") -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)


def write_module(root: Path, name: str, manifest: str, files: dict[str, str]) -> Path:
    """A minimal module: module.toml, copier.yml and the given template files."""
    folder = root / name
    (folder / "template").mkdir(parents=True)
    (folder / "module.toml").write_text(f'[module]\nname = "{name}"\n{manifest}', encoding="utf-8")
    (folder / "copier.yml").write_text(
        f"_subdirectory: template\n_answers_file: .copier-answers.{name}.yml\n", encoding="utf-8"
    )
    answers = "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml -}}\n"
    (folder / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(answers, encoding="utf-8")
    for rel, text in files.items():
        (folder / "template" / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / "template" / rel).write_text(text, encoding="utf-8")
    return folder


def set_module_version(module: Path, version: str) -> None:
    manifest = module / "module.toml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines = [f'version = "{version}"' if line.startswith("version =") else line for line in lines]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, factory_home: Path) -> Path:
    """A private copy of the fixture modules that the catalog finds (safe to edit in a test)."""
    root = tmp_path / "modules"
    shutil.copytree(FIXTURES, root)
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(root))
    return root


@pytest.fixture
def project(modules: Path, tmp_path: Path) -> Path:
    return new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "work")).path


def dependencies(project: Path) -> list[str]:
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def test_add_creates_module_files_answers_and_dependencies(project: Path) -> None:
    result = add_modules(project, ["credit-bureau"], {"bureau": "experian"})
    assert [m.name for m in result.applied] == ["credit-bureau"]
    assert result.applied[0].files == BUREAU_FILES
    assert "bureau: experian" in (project / ".copier-answers.credit-bureau.yml").read_text(encoding="utf-8")
    assert "tenacity==9.2.1" in dependencies(project)
    assert "experian" in (project / BUREAU_FILES[1]).read_text(encoding="utf-8")
    assert project_status(project).components[1].version == "1.0.0"


def test_add_is_idempotent_even_with_uncommitted_changes(project: Path) -> None:
    add_modules(project, ["credit-bureau"])
    before = (project / "pyproject.toml").read_bytes()
    result = add_modules(project, ["credit-bureau"])
    assert (result.applied, result.already) == ([], ["credit-bureau"])
    assert (project / "pyproject.toml").read_bytes() == before
    assert dependencies(project).count("tenacity==9.2.1") == 1


def test_add_refuses_a_dirty_project(project: Path) -> None:
    (project / "README.md").write_text("edited\n", encoding="utf-8")
    with pytest.raises(DirtyProjectError):
        add_modules(project, ["credit-bureau"])


def test_required_modules_are_added_first(project: Path, modules: Path) -> None:
    write_module(
        modules,
        "bureau-report",
        'version = "0.1.0"\nsummary = "Bureau reports"\nrequires = ["credit-bureau"]\n',
        {"docs/bureau-report.md": "# Bureau report\n"},
    )
    result = add_modules(project, ["bureau-report"])
    assert [m.name for m in result.applied] == ["credit-bureau", "bureau-report"]
    assert (project / "docs/bureau-report.md").is_file()


def test_conflicting_module_is_refused_and_nothing_written(project: Path, modules: Path) -> None:
    write_module(
        modules,
        "other-bureau",
        'version = "0.1.0"\nsummary = "Another bureau"\nconflicts = ["credit-bureau"]\n',
        {"docs/other.md": "# Other\n"},
    )
    add_modules(project, ["credit-bureau"])
    commit_all(project)
    result = CliRunner().invoke(app, ["add", "other-bureau", "--project", str(project)])
    assert result.exit_code == 2, result.output
    assert "conflict" in result.output
    assert git(project, "status", "--porcelain") == ""


def test_module_that_would_overwrite_a_file_is_taken_back(project: Path, modules: Path) -> None:
    write_module(
        modules,
        "clobber",
        'version = "0.1.0"\nsummary = "Writes README.md"\n',
        {"docs/clobber.md": "# mine\n", "README.md": "# mine\n"},
    )
    with pytest.raises(ModuleConflictError, match=r"README\.md"):
        add_modules(project, ["credit-bureau", "clobber"])
    assert git(project, "status", "--porcelain") == ""  # credit-bureau, applied first, was taken back too


def test_unsupported_base_version_is_refused(project: Path, modules: Path) -> None:
    write_module(modules, "future", 'version = "0.1.0"\nsummary = "Needs 2.x"\nbase = "service>=2"\n', {})
    with pytest.raises(UnsupportedBaseError, match=r"service>=2"):
        add_modules(project, ["future"])


@pytest.mark.parametrize("name", ["nope", "../credit-bureau", "/etc"])
def test_unknown_or_unsafe_module_names_are_refused(project: Path, name: str) -> None:
    result = CliRunner().invoke(app, ["add", name, "--project", str(project)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert git(project, "status", "--porcelain") == ""


def test_unknown_module_question_is_refused(project: Path) -> None:
    args = ["add", "credit-bureau", "--data", "colour=red", "--project", str(project)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "colour" in result.output


def test_new_with_module_commits_everything_in_the_first_commit(modules: Path, tmp_path: Path) -> None:
    args = [
        "new",
        "loan-scoring",
        "--defaults",
        "-o",
        str(tmp_path),
        "-m",
        "credit-bureau",
        "-d",
        "bureau=crif",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    project = tmp_path / "loan-scoring"
    assert git(project, "status", "--porcelain") == ""
    tracked = git(project, "ls-files").split()
    assert set(BUREAU_FILES) <= set(tracked)
    assert "crif" in (project / BUREAU_FILES[1]).read_text(encoding="utf-8")


def test_new_with_unknown_module_writes_nothing(modules: Path, tmp_path: Path) -> None:
    args = ["new", "loan-scoring", "--defaults", "-o", str(tmp_path), "--module", "nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert not (tmp_path / "loan-scoring").exists()


def test_remove_keeps_edited_files_and_takes_out_dependencies(project: Path) -> None:
    pristine = (project / "pyproject.toml").read_text(encoding="utf-8")
    add_modules(project, ["credit-bureau"])
    commit_all(project, "add credit-bureau")
    (project / BUREAU_FILES[2]).write_text("# our own bureau tests\n", encoding="utf-8")
    commit_all(project)
    result = remove_module(project, "credit-bureau")
    assert result.removed == [BUREAU_FILES[1]]
    assert result.kept == [BUREAU_FILES[2]]
    assert result.dependencies == ["tenacity==9.2.1"]
    assert not (project / BUREAU_FILES[0]).exists()
    assert not (project / BUREAU_FILES[1]).exists()
    assert (project / BUREAU_FILES[2]).read_text(encoding="utf-8") == "# our own bureau tests\n"
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == pristine


def test_remove_is_refused_while_another_module_requires_it(project: Path, modules: Path) -> None:
    write_module(
        modules,
        "bureau-report",
        'version = "0.1.0"\nsummary = "Bureau reports"\nrequires = ["credit-bureau"]\n',
        {"docs/bureau-report.md": "# Bureau report\n"},
    )
    add_modules(project, ["bureau-report"])
    commit_all(project)
    result = CliRunner().invoke(app, ["remove", "credit-bureau", "--project", str(project)])
    assert result.exit_code == 2
    assert "required by bureau-report" in result.output
    assert (project / BUREAU_FILES[1]).is_file()


def test_remove_unknown_module_names_the_installed_ones(project: Path) -> None:
    with pytest.raises(UnknownModuleError, match="not in loan-scoring"):
        remove_module(project, "credit-bureau")


def test_status_reports_versions_outdated_modules_and_conflicts(project: Path, modules: Path) -> None:
    add_modules(project, ["credit-bureau"])
    commit_all(project)
    runner = CliRunner()
    current = runner.invoke(app, ["status", "--json", str(project)])
    assert current.exit_code == 0, current.output
    payload = json.loads(current.output)
    assert [(c["name"], c["version"], c["outdated"]) for c in payload["components"]] == [
        ("service", payload["components"][0]["newest"], False),
        ("credit-bureau", "1.0.0", False),
    ]
    set_module_version(modules / "credit-bureau", "1.1.0")
    outdated = runner.invoke(app, ["status", str(project)])
    assert outdated.exit_code == 4
    assert "update available" in outdated.output
    markers = "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n"
    (project / "NOTES.md").write_text(markers, encoding="utf-8")
    conflicted = runner.invoke(app, ["status", str(project)])
    assert conflicted.exit_code == 3
    assert "NOTES.md" in conflicted.output


def test_update_upgrades_a_module_and_keeps_the_users_edit(project: Path, modules: Path) -> None:
    add_modules(project, ["credit-bureau"])
    commit_all(project, "add credit-bureau")
    client = project / BUREAU_FILES[1]
    client.write_text("# reviewed by the loan team\n" + client.read_text(encoding="utf-8"), encoding="utf-8")
    commit_all(project)
    module_file = modules / "credit-bureau" / "template" / "src" / "{{ package_name }}" / "integrations"
    source = module_file / "credit_bureau.py.jinja"
    source.write_text(source.read_text(encoding="utf-8") + "\n\nRETRY_BUDGET = 3\n", encoding="utf-8")
    set_module_version(modules / "credit-bureau", "1.1.0")

    preview = update_project(project, pretend=True)
    versions = [(m.name, m.from_version, m.to_version) for m in preview.modules]
    assert versions == [("credit-bureau", "1.0.0", "1.1.0")]
    assert git(project, "status", "--porcelain") == ""

    result = update_project(project)
    kinds = {c.path: c.kind for c in result.changes}
    assert kinds[BUREAU_FILES[1]] == "merged"
    assert kinds[BUREAU_FILES[0]] == "updated"
    text = client.read_text(encoding="utf-8")
    assert text.startswith("# reviewed by the loan team\n")
    assert text.rstrip().endswith("RETRY_BUDGET = 3")
    assert project_status(project).components[1].version == "1.1.0"


def test_plain_copier_update_works_on_a_module_answers_file(project: Path, modules: Path) -> None:
    add_modules(project, ["credit-bureau"])
    commit_all(project, "add credit-bureau")
    (modules / "credit-bureau" / "template" / "docs").mkdir()
    (modules / "credit-bureau" / "template" / "docs" / "bureau.md").write_text("# Bureau\n", encoding="utf-8")
    set_module_version(modules / "credit-bureau", "1.1.0")
    project_status(project)  # any factory command refreshes the store with 1.1.0
    subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "-a", ".copier-answers.credit-bureau.yml"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    assert (project / "docs" / "bureau.md").read_text(encoding="utf-8") == "# Bureau\n"
    assert "_commit: v1.1.0" in (project / BUREAU_FILES[0]).read_text(encoding="utf-8")


SHARED_QUESTIONS = {
    "project_name": "module-own-name",
    "description": "The module's own description",
    "license": "module-licence",
    "python_version": "3.99",
}


def test_module_questions_named_like_the_projects_get_the_modules_answers(
    project: Path, modules: Path
) -> None:
    """Without --data a module's answers are its defaults, never the project's answers of the same name."""
    folder = write_module(
        modules,
        "shared-names",
        'version = "0.1.0"\nsummary = "Asks questions named like the project\'s"\n',
        {"docs/shared-names.md.jinja": "".join(f"{k}={{{{ {k} }}}}\n" for k in SHARED_QUESTIONS)},
    )
    with (folder / "copier.yml").open("a", encoding="utf-8") as config:
        config.write("".join(f"{k}:\n  type: str\n  default: {v!r}\n" for k, v in SHARED_QUESTIONS.items()))

    add_modules(project, ["shared-names"], {"description": "Given with --data"})

    expected = {**SHARED_QUESTIONS, "description": "Given with --data"}
    rendered = (project / "docs" / "shared-names.md").read_text(encoding="utf-8")
    assert rendered == "".join(f"{k}={v}\n" for k, v in expected.items())
    recorded = yaml.safe_load((project / ".copier-answers.shared-names.yml").read_text(encoding="utf-8"))
    assert {k: recorded[k] for k in expected} == expected
    base = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert base["project_name"] == "loan-scoring"  # the project's own answers are untouched


def set_module_dependencies(module: Path, requirements: list[str]) -> None:
    manifest = module / "module.toml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    wanted = f"python_dependencies = {json.dumps(requirements)}"
    lines = [wanted if line.startswith("python_dependencies =") else line for line in lines]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_module_update_leaves_pyproject_as_a_fresh_add_of_the_new_version(
    project: Path, modules: Path, tmp_path: Path
) -> None:
    """A changed pin is replaced in place, a dropped dependency removed, a new one added; version recorded."""
    bureau = modules / "credit-bureau"
    set_module_dependencies(bureau, ["tenacity==9.2.1", "backoff==2.2.1"])
    add_modules(project, ["credit-bureau"])
    commit_all(project, "add credit-bureau")
    set_module_version(bureau, "1.1.0")
    set_module_dependencies(bureau, ["tenacity==9.1.2", "cachetools==5.5.2"])

    result = update_project(project)

    assert {c.path: c.kind for c in result.changes}["pyproject.toml"] == "merged"
    fresh = new_project(NewRequest(name="loan-scoring", output_dir=tmp_path / "fresh")).path
    add_modules(fresh, ["credit-bureau"])
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert pyproject == (fresh / "pyproject.toml").read_text(encoding="utf-8")
    record = tomllib.loads(pyproject)["tool"]["factory"]["modules"]["credit-bureau"]
    assert record == {"version": "1.1.0", "dependencies": ["tenacity==9.1.2", "cachetools==5.5.2"]}
    assert remove_module(project, "credit-bureau", require_clean=False).dependencies == record["dependencies"]
    assert "cachetools==5.5.2" not in dependencies(project)


def test_module_update_keeps_a_dependency_the_user_changed(project: Path, modules: Path) -> None:
    bureau = modules / "credit-bureau"
    add_modules(project, ["credit-bureau"])
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace('\n  "tenacity==9.2.1",', '\n  "tenacity>=9.2,<10",')
    assert text.count("tenacity>=9.2,<10") == 1  # the dependency changed, not the factory's record
    pyproject.write_text(text, encoding="utf-8")
    commit_all(project, "add credit-bureau, our own tenacity range")
    set_module_version(bureau, "1.1.0")
    set_module_dependencies(bureau, ["tenacity==9.1.2"])

    update_project(project)

    assert [d for d in dependencies(project) if d.startswith("tenacity")] == ["tenacity>=9.2,<10"]
    record = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["factory"]["modules"]
    assert record["credit-bureau"] == {"version": "1.1.0", "dependencies": []}


def test_module_update_keeps_a_file_the_user_edited_and_the_new_version_deletes(
    project: Path, modules: Path
) -> None:
    add_modules(project, ["credit-bureau"])
    commit_all(project, "add credit-bureau")
    edited = project / BUREAU_FILES[2]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# our extra case\n", encoding="utf-8")
    commit_all(project)
    bureau = modules / "credit-bureau"
    (bureau / "template" / "tests" / "test_credit_bureau.py.jinja").unlink()
    (bureau / "template" / "src" / "{{ package_name }}" / "integrations" / "credit_bureau.py.jinja").unlink()
    set_module_version(bureau, "1.1.0")

    result = CliRunner().invoke(app, ["update", str(project)])

    assert result.exit_code == 3, result.stdout + result.stderr
    lines = {tuple(line.split()[:2]) for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {("conflict", BUREAU_FILES[2]), ("removed", BUREAU_FILES[1])} <= lines
    assert "# our extra case" in edited.read_text(encoding="utf-8")
    assert not (project / BUREAU_FILES[1]).exists()
