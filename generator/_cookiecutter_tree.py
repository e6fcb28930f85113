"""The files of a cookiecutter template as a copier ``template/`` folder.

Cookiecutter renders every text file except ``_copy_without_render`` matches (and whole folders that
match, whose names it does not render either) and binary files. Here the rendered ones get copier's
template suffix and the others are copied as they are, so copier copies them verbatim too. File modes are
kept; each file's line ending follows cookiecutter's rule (that of its first line) where copier can.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ._cookiecutter_jinja import has_jinja
from .errors import InvalidInputError

if TYPE_CHECKING:
    from ._cookiecutter import Conversion, CookiecutterTemplate

_SUFFIXES = (".jinja", ".jinja-template", ".copier-template")
_ANSWERS_FILE = (
    "# Changes here will be overwritten by Copier; do NOT edit manually\n"
    "{{ _copier_answers|to_nice_yaml -}}\n"
)


def template_suffix(project_dir: Path) -> str:
    """Copier's template suffix: ``.jinja`` unless a file of the template already ends with it."""
    names = [p.name for p in project_dir.rglob("*")]
    return next(s for s in _SUFFIXES if not any(n.endswith(s) for n in names))


def copy_only_patterns(context: Mapping[str, Any]) -> list[str]:
    """The ``_copy_without_render`` patterns (matched like cookiecutter, against unrendered paths)."""
    return [str(p) for p in context.get("_copy_without_render", [])]


def in_copied_folder(rel: PurePosixPath, patterns: Iterable[str]) -> bool:
    """Whether a folder above ``rel`` matches: cookiecutter copies such a folder whole, names included."""
    return any(fnmatch(str(parent), p) for parent in rel.parents[:-1] for p in patterns)


def is_verbatim(rel: PurePosixPath, src: Path, patterns: list[str]) -> bool:
    """Whether cookiecutter copies ``src`` without rendering its contents."""
    return in_copied_folder(rel, patterns) or any(fnmatch(str(rel), p) for p in patterns) or _is_binary(src)


def include_resolver(
    template: CookiecutterTemplate, suffix: str, shared: set[str]
) -> Callable[[str], str | None]:
    """Where the module keeps a file cookiecutter would include (it searches ``.`` then ``../templates``).

    Names found in ``../templates`` are added to ``shared``, the files to copy into the module.
    """
    patterns = copy_only_patterns(template.context)

    def resolve(name: str) -> str | None:
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or "{" in name:
            return None
        src = template.project_dir / name
        if src.is_file() and not src.is_symlink():
            return None if is_verbatim(rel, src, patterns) else f"template/{name}{suffix}"
        if (template.root / "templates" / name).is_file():
            shared.add(name)
            return f"templates/{name}"
        return None

    return resolve


def convert_tree(conversion: Conversion, dest: Path) -> None:
    """Copy the project folder to ``dest``: names converted, rendered files suffixed, modes kept."""
    project_dir = conversion.template.project_dir
    patterns = copy_only_patterns(conversion.template.context)
    dest.mkdir()
    for src in sorted(project_dir.rglob("*")):
        rel = PurePosixPath(src.relative_to(project_dir).as_posix())
        where = f"{project_dir.name}/{rel}"
        if src.is_symlink():
            raise InvalidInputError(f"{where} is a symbolic link: not converted", "Replace it with a file.")
        copied = in_copied_folder(rel, patterns)
        out = dest.joinpath(*(_name(part, conversion, where, copied) for part in rel.parts))
        if src.is_dir():
            out.mkdir()
        elif is_verbatim(rel, src, patterns):
            shutil.copy2(src, out)
            conversion.verbatim.append(str(rel))
        else:
            _render_file(src, out.with_name(out.name + conversion.suffix), conversion, where)
    conversion.converted.append(
        f"{len(conversion.rendered)} files rendered, {len(conversion.verbatim)} copied verbatim"
    )
    _newlines(conversion)
    answers = dest / f"{{{{_copier_conf.answers_file}}}}{conversion.suffix}"
    answers.write_text(_ANSWERS_FILE, encoding="utf-8")


def convert_shared_templates(conversion: Conversion, dest: Path) -> None:
    """Copy the files of ``../templates`` that the template includes (and those they include)."""
    done: set[str] = set()
    while todo := sorted(conversion.shared - done):
        for name in todo:
            done.add(name)
            src = conversion.template.root / "templates" / name
            out = dest / name
            out.parent.mkdir(parents=True, exist_ok=True)
            text = conversion.converter.convert(src.read_bytes().decode("utf-8"), f"templates/{name}")
            out.write_bytes(text.encode("utf-8"))
    if done:
        conversion.converted.append(f"{len(done)} included files of templates/ copied into the module")


def _name(part: str, conversion: Conversion, where: str, copied: bool) -> str:
    converter = conversion.converter
    if not has_jinja(part, converter):
        return part
    if copied:
        raise InvalidInputError(
            f"{where}: a name inside a _copy_without_render folder uses Jinja: not converted "
            "(cookiecutter keeps such names as they are, copier renders every name)",
            "Rename the file or folder, then import again.",
        )
    return converter.convert(part, f"the name {where}")


def _is_binary(path: Path) -> bool:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _render_file(src: Path, target: Path, conversion: Conversion, where: str) -> None:
    text = src.read_bytes().decode("utf-8")
    target.write_bytes(conversion.converter.convert(text, where).encode("utf-8"))
    shutil.copymode(src, target)
    conversion.rendered.append(where)
    if text.split("\n", 1)[0].endswith("\r"):
        conversion.crlf.append(where)


def _newlines(conversion: Conversion) -> None:
    """Cookiecutter writes each file with the line ending of its first line; copier uses one for all."""
    crlf = conversion.crlf
    if not crlf or "_new_lines" in conversion.template.context:
        return
    if len(crlf) == len(conversion.rendered):
        conversion.settings.setdefault("_envops", {})["newline_sequence"] = "\r\n"
        conversion.converted.append("CRLF line endings kept (_envops.newline_sequence)")
        return
    conversion.warnings.append(
        f"{', '.join(crlf)}: CRLF line endings become LF (copier renders every file with one line ending)"
    )
