"""Every refusal of `factory import cookiecutter`: one-line message and hint, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator.cli import app
from tests.import_.compare import build_template

TOP = "{{cookiecutter.slug}}"
BASE: dict[str, Any] = {"slug": "demo", "description": "A demo"}
runner = CliRunner()


def run_import(template: Path, out: Path, *options: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", "cookiecutter", str(template), "--output-dir", str(out), *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


def file_case(content: str, fragment: str) -> tuple[dict[str, Any], dict[str, str | bytes], str]:
    return BASE, {f"{TOP}/file.txt": content}, fragment


CASES: dict[str, tuple[dict[str, Any] | str, dict[str, str | bytes], str]] = {
    "malformed-json": ('{"slug": "demo",}', {f"{TOP}/a.txt": "a"}, "malformed JSON at line 1 column 17"),
    "json-not-an-object": ('["slug"]', {f"{TOP}/a.txt": "a"}, "the top level is not an object"),
    "no-project-folder": (BASE, {"src/a.txt": "a"}, "no folder is named like {{cookiecutter.project_slug}}"),
    "nested-templates": (
        {"templates": {"api": {"path": "./api", "title": "API", "description": "An API"}}},
        {"api/cookiecutter.json": "{}"},
        "holds nested cookiecutter templates (the 'templates' key)",
    ),
    "slugify": file_case("{{ cookiecutter.slug | slugify }}", "slugify filter (copier has no slugify)"),
    "random-string": file_case("{{ random_ascii_string(8) }}", "random_ascii_string()"),
    "uuid": file_case("{% if true %}{{ uuid4() }}{% endif %}", "uuid4()"),
    "unknown-filter": file_case(
        "{{ cookiecutter.slug | shout }}", "the filter 'shout', which copier does not have"
    ),
    "now-time-zone": file_case("{% now 'Europe/Paris' %}", "uses {% now 'Europe/Paris' %}"),
    "now-offset": file_case("{% now 'utc' + 'hours=2', '%H' %}", "offset or computed arguments"),
    "whole-context": file_case("{{ cookiecutter | jsonify }}", "the whole `cookiecutter` dictionary"),
    "undefined-variable": file_case(
        "{{ cookiecutter.colour }}", "cookiecutter.colour, which cookiecutter.json"
    ),
    "include-missing": file_case(
        "{% include 'other.txt' %}", "includes 'other.txt', which is not a rendered"
    ),
    "include-verbatim": (
        {**BASE, "_copy_without_render": ["raw.txt"]},
        {f"{TOP}/a.txt": "{% include 'raw.txt' %}", f"{TOP}/raw.txt": "raw"},
        "includes 'raw.txt'",
    ),
    "include-computed": file_case("{% include cookiecutter.slug ~ '.txt' %}", "whose name is computed"),
    "syntax-error": file_case("{% if cookiecutter.slug %}open", "Jinja syntax error on line 1"),
    "name-uses-unknown-filter": (BASE, {f"{TOP}/{{{{ cookiecutter.slug | slugify }}}}.txt": "a"}, "the name"),
    "extension": ({**BASE, "_extensions": ["local_extensions.Shout"]}, {f"{TOP}/a.txt": "a"}, "_extensions"),
    "line-statements": (
        {**BASE, "_jinja2_env_vars": {"line_statement_prefix": "%"}},
        {f"{TOP}/a.txt": "a"},
        "line_statement_prefix: not converted",
    ),
    "null-variable": ({**BASE, "owner": None}, {f"{TOP}/a.txt": "a"}, "'owner' has no default (null)"),
    "bad-variable-name": ({**BASE, "project-name": "x"}, {f"{TOP}/a.txt": "a"}, "not a Python identifier"),
    "private-name-clash": (
        {**BASE, "_x": "a", "private_x": "b"},
        {f"{TOP}/a.txt": "a"},
        "would share one name",
    ),
    "choice-of-lists": ({**BASE, "pick": [["a"], ["b"]]}, {f"{TOP}/a.txt": "a"}, "not all text or numbers"),
    "pre-prompt-hook": (BASE, {f"{TOP}/a.txt": "a", "hooks/pre_prompt.py": "pass"}, "hooks/pre_prompt"),
    "hook-without-shebang": (
        BASE,
        {f"{TOP}/a.txt": "a", "hooks/post_gen_project.sh": "echo hi"},
        "no #! line",
    ),
    "templated-name-in-verbatim-folder": (
        {**BASE, "_copy_without_render": ["raw"]},
        {f"{TOP}/raw/{{{{cookiecutter.slug}}}}.txt": "a"},
        "inside a _copy_without_render folder",
    ),
}


@pytest.mark.parametrize(("context", "files", "fragment"), CASES.values(), ids=CASES.keys())
def test_refused_with_exit_2_and_nothing_written(
    context: dict[str, Any] | str, files: dict[str, str | bytes], fragment: str, tmp_path: Path
) -> None:
    template = build_template(tmp_path / "cookiecutter-demo", context, files)
    out = tmp_path / "modules"
    code, output = run_import(template, out)
    assert code == 2, output
    assert fragment in " ".join(output.split()), output
    assert "hint:" in output
    assert "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_not_a_template(tmp_path: Path) -> None:
    code, output = run_import(tmp_path, tmp_path / "out")
    assert code == 2
    assert "is not a cookiecutter template: it has no cookiecutter.json" in " ".join(output.split())


def test_symbolic_link_is_refused(tmp_path: Path) -> None:
    template = build_template(tmp_path / "cookiecutter-demo", BASE, {f"{TOP}/a.txt": "a"})
    (template / TOP / "b.txt").symlink_to("a.txt")
    code, output = run_import(template, tmp_path / "out")
    assert code == 2
    assert "is a symbolic link" in output


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--name", "../escape"), "'../escape' is not a valid module name"),
        (("--name", "Audit Export"), "Pass --name audit-export"),
        (("--version", "one"), "module version"),
        (("--base", "service >= oops"), "module base"),
    ],
)
def test_bad_options(options: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    template = build_template(tmp_path / "cookiecutter-demo", BASE, {f"{TOP}/a.txt": "a"})
    code, output = run_import(template, tmp_path / "out", *options)
    assert code == 2, output
    assert fragment in " ".join(output.split())
    assert not (tmp_path / "out").exists()


def test_summary_is_required_without_a_description(tmp_path: Path) -> None:
    template = build_template(tmp_path / "cookiecutter-demo", {"slug": "demo"}, {f"{TOP}/a.txt": "a"})
    code, output = run_import(template, tmp_path / "out")
    assert code == 2
    assert "--summary" in output
    code, output = run_import(template, tmp_path / "out", "--summary", "A demo module")
    assert code == 0, output


def test_existing_destination_is_refused(tmp_path: Path) -> None:
    template = build_template(tmp_path / "cookiecutter-demo", BASE, {f"{TOP}/a.txt": "a"})
    (tmp_path / "out" / "demo").mkdir(parents=True)
    code, output = run_import(template, tmp_path / "out")
    assert code == 2
    assert "already exists" in output
    assert not any((tmp_path / "out" / "demo").iterdir())


def test_success_prints_conversions_warnings_and_next_steps(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "cookiecutter-demo",
        BASE,
        {f"{TOP}/a.txt": "{% now 'utc' %}", "hooks/pre_gen_project.py": "print('{{ cookiecutter.slug }}')"},
    )
    code, output = run_import(template, tmp_path / "out", "--version", "1.2.0")
    text = " ".join(output.split())
    assert code == 0, output
    assert f"Imported module demo into {tmp_path / 'out' / 'demo'}" in text
    assert "2 questions from cookiecutter.json (0 hidden)" in text
    assert "Not converted exactly" in text and "local time zone" in text
    assert "pre_gen_project.py runs after the files are rendered" in text
    assert "--trust" in text
    assert f"export FACTORY_MODULES_PATH={tmp_path / 'out'}" in text
    assert "factory add demo" in text
    assert 'version = "1.2.0"' in (tmp_path / "out" / "demo" / "module.toml").read_text(encoding="utf-8")
