"""The command line as a user drives it: help, version, errors with exit codes, nothing half-written."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import __version__
from generator.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.strip() == f"factory {__version__}"


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ((), "factory new loan-scoring --defaults"),
        (("new",), "factory new loan-scoring --defaults"),
        (("update",), "factory update --pretend"),
        (("list",), "factory list --json"),
    ],
)
def test_help_shows_an_example(command: tuple[str, ...], example: str) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert example in " ".join(out.split())


def test_list_json_names_the_service_template() -> None:
    code, out, _ = invoke("list", "--json")
    assert code == 0
    entries = json.loads(out)
    service = next(e for e in entries if e["name"] == "service")
    assert service["kind"] == "template"
    assert service["version"]
    assert Path(service["source"]).is_absolute()


def test_list_table_one_line_each() -> None:
    code, out, _ = invoke("list")
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split()[:3] == ["name", "kind", "version"]
    assert any(line.startswith("service") for line in lines[1:])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["Loan Scoring!"], "not a valid project name"),
        (["123"], "not a valid project name"),
        (["class"], "Python keyword"),
        ([""], "empty"),
        (["a" * 200], "limit is 64"),
        (["ok-name", "--data", "colour=blue"], "unknown question 'colour'"),
        (["ok-name", "--data", "port=eighty"], "not a whole number"),
        (["ok-name", "--data", "python_version=2.7"], "not one of the choices"),
        (["ok-name", "--data", "port"], "key=value"),
        (["ok-name", "--data", "project_name=other"], "contradicts"),
        (["ok-name", "--answers-file", "/nonexistent/answers.yml"], "cannot read answers file"),
        (["ok-name", "--template", "servise"], "no template named"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    args: list[str], fragment: str, tmp_path: Path, factory_home: Path
) -> None:
    code, out, err = invoke("new", *args, "--defaults", "--output-dir", str(tmp_path))
    assert code == 2, out + err
    assert fragment in " ".join(err.split())
    assert "hint:" in err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []


def test_copier_validator_failure_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    code, _, err = invoke("new", "ok-name", "--defaults", "--data", "port=80", "-o", str(tmp_path))
    assert code == 2
    assert "between 1024 and 65535" in err
    assert list(tmp_path.iterdir()) == []


def test_existing_non_empty_target_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "loan-scoring"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = invoke("new", "loan-scoring", "--defaults", "-o", str(tmp_path))
    assert code == 2
    assert "already exists" in err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_unreadable_answers_file_is_refused(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("port: [8080\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, err = invoke("new", "ok-name", "--defaults", "--answers-file", str(answers), "-o", str(out_dir))
    assert code == 2
    assert "not valid YAML" in err
    assert not out_dir.exists()


def test_new_with_answers_file_and_data(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("port: 9000\nowner: risk-team\n_src_path: /elsewhere\n", encoding="utf-8")
    code, out, err = invoke(
        "new",
        "fraud-check",
        "--defaults",
        "--answers-file",
        str(answers),
        "--data",
        "port=9100",
        "-o",
        str(tmp_path),
    )
    assert code == 0, err
    recorded = (tmp_path / "fraud-check" / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "port: 9100" in recorded
    assert "owner: risk-team" in recorded
    assert "Next steps" in out
    assert "http://127.0.0.1:9100" in out


def test_interrupt_during_render_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator._engines import copier as engine

    def interrupted(src, ref, dst: Path, data, *, ask):  # type: ignore[no-untyped-def]
        dst.mkdir(parents=True)
        (dst / "half-written.txt").write_text("x", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "copy", interrupted)
    code, _, err = invoke("new", "loan-scoring", "--defaults", "-o", str(tmp_path))
    assert code == 130
    assert "Nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_update_outside_a_project(tmp_path: Path) -> None:
    code, _, err = invoke("update", str(tmp_path))
    assert code == 1
    assert "no .copier-answers.yml" in err
