"""Render a cookiecutter template with cookiecutter and its converted module with copier, then compare."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import copier
from cookiecutter.main import cookiecutter

Snapshot = dict[str, tuple[str, bytes, bool]]


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> Snapshot:
    """Every path below ``root``: kind, bytes (files) and whether it is executable."""
    result: Snapshot = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel in skip:
            continue
        if path.is_dir():
            result[rel] = ("dir", b"", False)
        else:
            result[rel] = ("file", path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    return result


def render_cookiecutter(template: Path, dst: Path, answers: dict[str, Any]) -> Path:
    """Cookiecutter's own output (the project folder it creates)."""
    return Path(cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(dst)))


def render_copier(module: Path, dst: Path, answers: dict[str, Any]) -> Path:
    """The converted module rendered by copier (tasks allowed, as a trusted module)."""
    copier.run_copy(str(module), dst, data=answers, defaults=True, unsafe=True, quiet=True)
    return dst


def assert_same_render(template: Path, module: Path, tmp_path: Path, answers: dict[str, Any]) -> Snapshot:
    """Both renders agree on every path, byte and executable bit; returns cookiecutter's snapshot."""
    answers_file = f".copier-answers.{module.name}.yml"
    expected = snapshot(render_cookiecutter(template, tmp_path / "cookiecutter", answers))
    actual = snapshot(render_copier(module, tmp_path / "copier", answers), skip=(answers_file,))
    assert list(actual) == list(expected)
    for rel, entry in expected.items():
        assert actual[rel] == entry, rel
    return expected


def build_template(root: Path, context: dict[str, Any] | str, files: dict[str, str | bytes]) -> Path:
    """A cookiecutter template: ``cookiecutter.json`` (a dict, or raw text) and files by relative path."""
    root.mkdir(parents=True)
    text = context if isinstance(context, str) else json.dumps(context)
    (root / "cookiecutter.json").write_text(text, encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root
