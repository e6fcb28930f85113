"""The local version store: bundled templates as tagged git repositories, so ``copier update`` works offline.

Copier updates a project only from a git repository whose tags are versions. The factory ships its
templates as plain folders inside the wheel, so on first use (and after every upgrade of the factory)
each template folder is committed into ``<FACTORY_HOME>/templates/<name>`` and tagged ``v<version>``.
Versions accumulate: a store that once saw 1.0.0 keeps it when 1.1.0 arrives, which is what the
three-way merge of ``copier update`` needs. A changed folder with an unchanged version (a template under
development) is tagged with a PEP 440 local version, ``v1.0.0+<digest>``, so it never masquerades as the
release. Projects record the store's absolute path in ``_src_path``, so a plain ``copier update`` inside
the project finds it from any folder.

A platform team that runs its own git server pushes the store repository there and sets the template's
source (see :mod:`generator._config`); then the store is not used at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import _git
from ._catalog import Template
from ._config import configured_source, factory_home
from ._files import template_files
from ._versions import newest_tag


@dataclass(frozen=True)
class TemplateRef:
    """Where copier reads a template from: an absolute path or URL, and the git ref (``None``: latest tag)."""

    src: str
    ref: str | None
    version: str | None


def resolve_source(template: Template) -> TemplateRef:
    """The source copier should use for ``template``: a configured git server, or the local store.

    For a server, its newest version tag (as copier picks it); one that cannot be read raises
    :class:`SourceUnreachableError`.
    """
    remote = configured_source(template.name) if template.kind == "template" else None
    if remote is not None:
        return newest_ref(remote, ())
    return publish_to_store(template)


def template_for_source(src: str, candidates: Iterable[Template]) -> Template | None:
    """The template (or module) whose store path or configured git server is ``src``, if any."""
    for candidate in candidates:
        configured = configured_source(candidate.name) if candidate.kind == "template" else None
        if src in {str(store_path(candidate.name, candidate.kind)), configured}:
            return candidate
    return None


def newest_ref(src: str, candidates: Iterable[Template]) -> TemplateRef:
    """The newest version of source ``src``: what ``factory update`` moves to and ``factory status`` shows.

    A local store of one of ``candidates`` is first refreshed from the installed factory (its version is
    the installed one). Any other source (a team git server, a copy of a store) is asked for its tags, and
    the newest is chosen as copier chooses it. Raises :class:`SourceUnreachableError` when it cannot be read.
    """
    for candidate in candidates:
        if src == str(store_path(candidate.name, candidate.kind)):
            return publish_to_store(candidate)
    tag = newest_tag(_git.remote_tags(src))
    return TemplateRef(src, tag, tag.removeprefix("v") if tag else None)


def template_of_source(src: str, commit: str | None, candidates: Mapping[str, Template]) -> Template | None:
    """The template among ``candidates`` that a project recording ``src`` (at ``commit``) was made from.

    Found by its store path or configured source without any git call; else (``_src_path`` edited to a
    copy of the template repository or a server) by the name in the source's ``template.toml``.
    """
    known = template_for_source(src, candidates.values())
    if known is not None:
        return known
    tags = _git.remote_tags(src)
    ref = commit if commit in tags else newest_tag(tags) or "HEAD"
    manifest = _git.remote_file(src, ref, "template.toml")
    try:
        name = tomllib.loads((manifest or b"").decode("utf-8"))["template"]["name"]
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return candidates.get(name) if isinstance(name, str) else None


def store_path(name: str, kind: str = "template") -> Path:
    """The store repository of template (or module) ``name``."""
    return factory_home() / f"{kind}s" / name


def publish_to_store(template: Template) -> TemplateRef:
    """Commit and tag ``template`` in the local store unless that exact content is already tagged."""
    repo = store_path(template.name, template.kind)
    digest = content_digest(template.path)
    cached = _read_index(repo).get(digest)
    if cached and (repo / ".git").is_dir():
        return TemplateRef(str(repo), cached, cached.removeprefix("v"))
    with _locked(repo):
        index = _read_index(repo)
        tag = index.get(digest)
        if tag is None or not _git.tag_exists(repo, tag):
            tag = _commit_version(repo, template, digest)
            index[digest] = tag
            _write_index(repo, index)
    return TemplateRef(str(repo), tag, tag.removeprefix("v"))


def content_digest(folder: Path) -> str:
    """A SHA-256 over every file's relative path, executable bit and bytes (cache and VCS files excluded)."""
    sha = hashlib.sha256()
    for path in template_files(folder):
        rel = path.relative_to(folder).as_posix()
        executable = path.stat().st_mode & 0o111
        sha.update(f"{rel}\0{int(bool(executable))}\0".encode())
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def _commit_version(repo: Path, template: Template, digest: str) -> str:
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git.run(["init", "-q", "-b", "main"], repo)
    _replace_tree(repo, template.path)
    _git.run(["add", "-A"], repo)
    if _git.has_staged_changes(repo):
        _git.commit(repo, f"{template.name} {template.version}")
    tag = f"v{template.version}"
    if _git.tag_exists(repo, tag) and _git.tree_of(repo, tag) != _git.tree_of(repo, "HEAD"):
        tag = f"v{template.version}+{digest[:12]}"
    if not _git.tag_exists(repo, tag):
        _git.tag(repo, tag)
    return tag


def _replace_tree(repo: Path, source: Path) -> None:
    for child in repo.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for path in template_files(source):
        target = repo / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _index_file(repo: Path) -> Path:
    return repo.parent / f"{repo.name}.index.json"


def _read_index(repo: Path) -> dict[str, str]:
    try:
        data = json.loads(_index_file(repo).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_index(repo: Path, index: dict[str, str]) -> None:
    path = _index_file(repo)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def _locked(repo: Path) -> Iterator[None]:
    """Serialise writers of one store repository (two `factory` processes at once must not interleave)."""
    repo.parent.mkdir(parents=True, exist_ok=True)
    with (repo.parent / f"{repo.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
