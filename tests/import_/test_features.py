"""Conversions beyond the main fixture, each checked by rendering with both tools and comparing."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator._cookiecutter import ImportRequest, ImportResult, import_cookiecutter
from tests.import_.compare import assert_same_render, build_template

TOP = "{{cookiecutter.slug}}"


def convert(template: Path, tmp_path: Path) -> ImportResult:
    return import_cookiecutter(
        ImportRequest(source=template, output_dir=tmp_path / "modules", summary="Test")
    )


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "crlf",
        {"slug": "demo", "name": "Demo"},
        {
            f"{TOP}/a.txt": "Hello {{ cookiecutter.name }}\r\nbye\r\n",
            f"{TOP}/b.bat": "echo {{ cookiecutter.slug }}\r\n",
        },
    )
    result = convert(template, tmp_path)
    assert "CRLF line endings kept (_envops.newline_sequence)" in result.converted
    files = assert_same_render(template, result.path, tmp_path, {})
    assert files["a.txt"][1] == b"Hello Demo\r\nbye\r\n"


def test_mixed_line_endings_are_reported(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "mixed", {"slug": "demo"}, {f"{TOP}/a.txt": "x\r\n", f"{TOP}/b.txt": "y\n"}
    )
    result = convert(template, tmp_path)
    assert any("CRLF line endings become LF" in w for w in result.warnings)


def test_env_vars_private_numbers_and_a_verbatim_jinja_file(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "envops",
        {
            "slug": "demo",
            "count": 3,
            "ratio": 0.25,
            "_raw_count": 7,
            "tags": ["a", "b"],
            "_jinja2_env_vars": {"trim_blocks": True, "lstrip_blocks": True},
            "_copy_without_render": ["*.jinja"],
        },
        {
            f"{TOP}/loop.txt": (
                "{% for i in range(cookiecutter.count | int) %}\n"
                "  {% if i %}\nline {{ i }}\n  {% endif %}\n{% endfor %}\n"
            ),
            f"{TOP}/numbers.txt": (
                "{{ cookiecutter.count }} {{ cookiecutter.ratio }} {{ cookiecutter._raw_count + 1 }}\n"
            ),
            f"{TOP}/macro.jinja": "{{ kept_as_is }}\n",
            f"{TOP}/{{{{cookiecutter.tags}}}}.txt": "{{ cookiecutter.tags }}\n",
        },
    )
    result = convert(template, tmp_path)
    config = yaml.safe_load((result.path / "copier.yml").read_text(encoding="utf-8"))
    assert config["_templates_suffix"] != ".jinja"
    assert config["_envops"] == {"trim_blocks": True, "lstrip_blocks": True}
    assert config["count"] == {"type": "str", "default": "3"}
    assert config["private_raw_count"] == {"type": "int", "default": 7, "when": False}
    for answers in ({}, {"count": "2", "tags": "b"}):
        files = assert_same_render(template, result.path, tmp_path / str(len(answers)), answers)
        assert files["macro.jinja"][1] == b"{{ kept_as_is }}\n"


def test_shell_hook_runs_through_its_interpreter(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "sh",
        {"slug": "demo", "greeting": "hi"},
        {
            f"{TOP}/keep.txt": "kept\n",
            "hooks/post_gen_project.sh": (
                "#!/usr/bin/env sh\nset -eu\necho '{{ cookiecutter.greeting }}' > from-hook.txt\n"
            ),
        },
    )
    (template / "hooks" / "post_gen_project.sh").chmod(0o755)
    result = convert(template, tmp_path)
    config = yaml.safe_load((result.path / "copier.yml").read_text(encoding="utf-8"))
    assert config["_tasks"] == [
        {
            "command": ["sh", "-c", "{% include 'hooks/post_gen_project.sh' %}"],
            "when": "{{ _copier_operation == 'copy' }}",
        }
    ]
    files = assert_same_render(template, result.path, tmp_path, {"greeting": "hello"})
    assert files["from-hook.txt"][1] == b"hello\n"


def test_utc_time_is_approximated_with_a_warning(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "utc", {"slug": "demo"}, {f"{TOP}/year.txt": "{%- now 'utc', '%Y' -%}\n"}
    )
    result = convert(template, tmp_path)
    assert any("local time zone" in w for w in result.warnings)
    assert '{{- "%Y" | strftime -}}' in (result.path / "template" / "year.txt.jinja").read_text(
        encoding="utf-8"
    )


def test_dict_variable_with_templated_keys_and_nested_values(tmp_path: Path) -> None:
    template = build_template(
        tmp_path / "dicts",
        {
            "slug": "demo",
            "settings": {
                "{{ cookiecutter.slug }}_url": "http://{{ cookiecutter.slug }}.local",
                "ports": [80, "{{ 40 + 3 }}"],
                "nested": {"deep": {"flag": True, "quote": 'say "hi" {{ cookiecutter.slug }}'}},
            },
        },
        {f"{TOP}/settings.txt": "{{ cookiecutter.settings | jsonify }}\n{{ cookiecutter.settings.ports }}\n"},
    )
    result = convert(template, tmp_path)
    for answers in ({}, {"slug": "other"}):
        assert_same_render(template, result.path, tmp_path / (answers.get("slug") or "default"), answers)
