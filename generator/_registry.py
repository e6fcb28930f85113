"""The module registry: a git repository of published module versions that ``list`` and ``add`` read.

Layout: ``modules/<name>/`` holds the newest published version of each module; tag ``<name>/v<version>``
marks every published version, so older ones can be exported (``factory module check`` upgrades from the
previous one). By default the registry is local (``FACTORY_HOME/registry``); with ``FACTORY_REGISTRY`` or
``[registry] url`` set, that folder is a clone of the team's git server, refreshed once per command, and
``publish`` pushes to it.
"""

from __future__ import annotations

import functools
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import _git
from ._config import factory_home, registry_url
from ._files import template_files
from ._manifest import load_module_manifest
from .errors import SourceError, VersionExistsError


@dataclass(frozen=True)
class Published:
    """A module version recorded in the registry."""

    name: str
    version: str
    registry: str
    commit: str


def checkout() -> Path:
    """The local working copy of the registry."""
    return factory_home() / "registry"


def source() -> str:
    """What identifies the registry (for trust): its URL, or the local folder."""
    return registry_url() or str(checkout())


def modules_root() -> Path:
    """The folder of the registry's modules (refreshed from the team server first, once per process)."""
    url = registry_url()
    if url is not None:
        _refresh(url, checkout())
    return checkout() / "modules"


@functools.cache
def _refresh(url: str, repo: Path) -> None:
    """Clone or fast-forward the local copy of the team registry (once per process and registry)."""
    if not (repo / ".git").is_dir():
        repo.parent.mkdir(parents=True, exist_ok=True)
        try:
            _git.clone(url, repo)
        except SourceError as exc:
            raise SourceError(f"cannot clone the module registry {url}", exc.hint or exc.message) from exc
        return
    _git.run(["pull", "-q", "--ff-only", "--tags"], repo, check=False)  # offline: keep the last copy


def versions(name: str) -> list[str]:
    """Published versions of module ``name``, oldest first."""
    repo = checkout()
    if not (repo / ".git").is_dir():
        return []
    tags = _git.run(["tag", "--list", f"{name}/v*"], repo).stdout.split()
    return sorted((t.removeprefix(f"{name}/v") for t in tags), key=_sort_key)


def require_unpublished(name: str, version: str) -> None:
    """Raise :class:`VersionExistsError` if ``name`` ``version`` is already in the registry."""
    if version in versions(name):
        raise VersionExistsError(
            f"{name} {version} is already in the registry {source()}",
            "Bump version in module.toml: a published version never changes.",
        )


def previous_version(name: str, version: str) -> str | None:
    """The newest published version of ``name`` older than ``version``."""
    older = [v for v in versions(name) if _sort_key(v) < _sort_key(version)]
    return older[-1] if older else None


def export(name: str, version: str, dst: Path) -> Path:
    """Write published ``name`` ``version`` into ``dst/<name>`` and return that folder."""
    repo = checkout()
    dst.mkdir(parents=True, exist_ok=True)
    archive = dst / f"{name}.tar"
    _git.run(["archive", "-o", str(archive), f"{name}/v{version}", f"modules/{name}"], repo)
    with tarfile.open(archive) as tar:
        tar.extractall(dst, filter="data")
    archive.unlink()
    return dst / "modules" / name


def publish(module: Path) -> Published:
    """Record the module at ``module`` as a new version; push it when the registry is a team server."""
    info = load_module_manifest(module / "module.toml").module
    tag = f"{info.name}/v{info.version}"
    modules_root()
    repo = _ensure_repo()
    require_unpublished(info.name, info.version)
    target = repo / "modules" / info.name
    _replace_module(module, target)
    _git.run(["add", "-A", "modules"], repo)
    _git.commit(repo, f"publish {info.name} {info.version}")
    _git.tag(repo, tag)
    if registry_url() is not None:
        pushed = _git.run(["push", "-q", "origin", "HEAD", tag], repo, check=False)
        if pushed.returncode != 0:
            _git.run(["tag", "-d", tag], repo)
            _git.run(["reset", "-q", "--hard", "HEAD~1"], repo)
            raise SourceError(
                f"cannot push {tag} to the registry {registry_url()}: {pushed.stderr.strip()}",
                "Check your access to the registry's git server, then publish again.",
            )
    head = _git.run(["rev-parse", "HEAD"], repo).stdout.strip()
    return Published(info.name, info.version, source(), head)


def _ensure_repo() -> Path:
    repo = checkout()
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git.run(["init", "-q", "-b", "main"], repo)
    return repo


def _replace_module(module: Path, target: Path) -> None:
    """Make ``target`` hold exactly the module's files (caches and VCS folders left out)."""
    files = template_files(module)
    if target.exists():
        shutil.rmtree(target)
    for path in files:
        dst = target / path.relative_to(module)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst)


def _sort_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)
