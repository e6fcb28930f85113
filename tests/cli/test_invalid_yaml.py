"""A YAML file the factory reads that does not parse is one error line naming the file and the line, then a
hint: never the parser's multi-line report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator._project import yaml_problem
from generator.cli import app

BROKEN = "ports: [8000,\nowner: c: d\n"  # line 2 breaks the flow sequence opened on line 1


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_error(err: str, fragment: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert lines[1].startswith("hint: ")


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "loan-scoring"
    shutil.copytree(default_project, copy, symlinks=True)
    return copy


@pytest.mark.parametrize(
    "command", [["status"], ["update"], ["update", "--pretend"], ["add", "redis-cache", "-p"]]
)
def test_invalid_answers_file_is_one_line_naming_file_and_line(project: Path, command: list[str]) -> None:
    answers = project / ".copier-answers.yml"
    lines_before = len(answers.read_text(encoding="utf-8").splitlines())
    with answers.open("a", encoding="utf-8") as handle:
        handle.write(BROKEN)
    code, out, err = invoke(*command, str(project))
    assert code == 1, out + err
    assert_one_error(err, f"{answers} is not valid YAML: line {lines_before + 2}, column ")
    assert "git checkout -- .copier-answers.yml" in err


def test_invalid_module_answers_file_names_that_file(project: Path) -> None:
    module_answers = project / ".copier-answers.redis-cache.yml"
    module_answers.write_text("_src_path: /somewhere\n" + BROKEN, encoding="utf-8")
    code, out, err = invoke("status", str(project))
    assert code == 1, out + err
    assert_one_error(err, f"{module_answers} is not valid YAML: line 3, column ")


def test_invalid_answers_file_option_names_the_line(tmp_path: Path) -> None:
    data = tmp_path / "answers.yml"
    data.write_text("port: 8080\n" + BROKEN, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = invoke(
        "new", "loan-scoring", "--defaults", "--answers-file", str(data), "-o", str(out_dir)
    )
    assert code == 2, out + err
    assert_one_error(err, f"answers file {data} is not valid YAML: line 3, column ")
    assert list(out_dir.iterdir()) == []


def test_yaml_problem_is_one_line_with_a_one_based_position() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.safe_load("a: 1\nb: [\n  c: d: e\n")
    text = yaml_problem(caught.value)
    assert "\n" not in text
    assert text.startswith("line 3, column ")


def test_invalid_copier_yml_of_a_module_names_the_file_and_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = tmp_path / "modules"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "modules", modules)
    copier_yml = modules / "credit-bureau" / "copier.yml"
    copier_yml.write_text("_subdirectory: template\n" + BROKEN, encoding="utf-8")
    monkeypatch.setenv("FACTORY_MODULES_PATH", str(modules))  # not trusted: its copier.yml is read first
    code, out, err = invoke("add", "credit-bureau", "-p", str(project))
    assert code == 1, out + err
    assert_one_error(err, f"{copier_yml} is not valid YAML: line 3, column ")
