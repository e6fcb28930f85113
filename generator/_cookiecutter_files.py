"""The files of an imported module besides its template: ``copier.yml``, ``module.toml`` and ``README.md``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
import yaml

if TYPE_CHECKING:
    from ._cookiecutter import Conversion

_TRUST_NOTE = (
    "Its copier tasks (the converted cookiecutter hooks) run code: they run only when the module is "
    "trusted (`--trust`, copier's unsafe mode)."
)


def write_module_files(conversion: Conversion, stage: Path) -> None:
    """Write ``copier.yml``, ``module.toml`` and ``README.md`` into the staged module folder."""
    tasks = bool(conversion.tasks)
    header = (
        f"# Imported from the cookiecutter template {conversion.template.root.name} by `factory import`.\n"
    )
    note = "".join(f"# {line}\n" for line in _wrap(_TRUST_NOTE)) if tasks else ""
    config = {
        **conversion.settings,
        **({"_tasks": conversion.tasks} if tasks else {}),
        **conversion.questions,
    }
    copier_yml = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000)
    (stage / "copier.yml").write_text(header + note + copier_yml, encoding="utf-8")
    (stage / "module.toml").write_text(header + note + _module_toml(conversion), encoding="utf-8")
    (stage / "README.md").write_text(_readme(conversion, stage / "template"), encoding="utf-8")


def _module_toml(conversion: Conversion) -> str:
    info = conversion.info
    table = tomlkit.table()
    for key, value in (("name", info.name), ("version", info.version), ("summary", info.summary)):
        table.add(key, value)
    table.add("base", info.base)
    doc = tomlkit.document()
    doc.add("module", table)
    return tomlkit.dumps(doc)


def _readme(conversion: Conversion, template: Path) -> str:
    info = conversion.info
    questions = list(conversion.questions.items())
    files = sorted(p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file())
    lines = [
        f"# {info.name}",
        "",
        info.summary,
        "",
        "## What it adds",
        f"The files of the cookiecutter template `{conversion.template.root.name}`, rendered into the "
        "project root (its top folder's contents become the project's).",
        "",
        "## Questions",
        *(_question_line(name, q) for name, q in questions),
        "",
        "## Files touched",
        "Only its own files (the paths below, with Jinja in their names rendered):",
        "",
        *(f"- `{f}`" for f in files),
        "",
        "## Services",
        "None declared.",
        "",
        "## How to test",
        f"Put this folder on `FACTORY_MODULES_PATH`, then `factory add {info.name}` in a generated project "
        "and `make check`.",
        "",
        "## Imported from cookiecutter",
        *(f"- {line}" for line in conversion.converted),
        *(f"- Not converted exactly: {line}" for line in conversion.warnings),
    ]
    if conversion.tasks:
        lines += ["", "## Trust", _TRUST_NOTE]
    return "\n".join(lines) + "\n"


def _question_line(name: str, question: dict[str, Any]) -> str:
    kind = "hidden, computed" if question.get("when") is False else question["type"]
    choices = question.get("choices")
    values = list(choices.values()) if isinstance(choices, dict) else choices
    extra = f": one of {', '.join(f'`{c}`' for c in values)}" if values else ""
    return f"- `{name}` ({kind}){extra}"


def _wrap(text: str, width: int = 100) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
