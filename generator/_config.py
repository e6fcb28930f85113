"""Where the factory keeps its version store, and where each template's versions come from.

- ``FACTORY_HOME`` (default ``$XDG_DATA_HOME/factory`` or ``~/.local/share/factory``) holds the local
  version store: one git repository per template, one tagged commit per template version.
- A template's *source* is that local store unless a platform team points it at their own git server:
  ``FACTORY_SOURCE_<NAME>`` (e.g. ``FACTORY_SOURCE_SERVICE=https://git.bank.example/platform/service.git``)
  or ``[sources]`` in ``$XDG_CONFIG_HOME/factory/config.toml`` (``FACTORY_CONFIG`` names another file).
- The module *registry* is a git repository: by default local (``FACTORY_HOME/registry``); a platform team
  shares one by setting ``FACTORY_REGISTRY`` or ``[registry] url`` to their git server.
- Trust: module tasks and migrations run only for bundled modules, for paths or URLs listed in
  ``FACTORY_TRUSTED`` (``os.pathsep``-separated) or ``[trust] sources``, or with ``--trust``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from .errors import SourceError


def factory_home() -> Path:
    """The folder of the factory's local data (version store, locks)."""
    env = os.environ.get("FACTORY_HOME")
    if env:
        return Path(env).expanduser().resolve()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return (Path(data).expanduser() / "factory").resolve()


def config_path() -> Path:
    """The user's config file (it need not exist)."""
    env = os.environ.get("FACTORY_CONFIG")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "factory" / "config.toml"


def _read_config() -> dict[str, Any]:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}", "Fix or remove the config file.") from exc


def registry_url() -> str | None:
    """The team registry's git URL or absolute path, if one is configured (else the registry is local)."""
    env = os.environ.get("FACTORY_REGISTRY")
    if env:
        return _absolute(env, "FACTORY_REGISTRY")
    value = _read_config().get("registry", {}).get("url")
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceError(f"{config_path()}: registry.url must be a string", 'Write url = "https://..."')
    return _absolute(value, f"{config_path()}: registry.url")


def trusted_sources() -> set[str]:
    """Paths and URLs whose module tasks and migrations the user allows to run."""
    env = [p for p in os.environ.get("FACTORY_TRUSTED", "").split(os.pathsep) if p]
    configured = _read_config().get("trust", {}).get("sources", [])
    if not isinstance(configured, list) or not all(isinstance(v, str) for v in configured):
        raise SourceError(
            f"{config_path()}: trust.sources must be a list of strings", 'Write sources = ["/path"]'
        )
    return {_normalised(v) for v in [*env, *configured]}


def _normalised(value: str) -> str:
    if "://" in value or value.startswith("git@"):
        return value.rstrip("/")
    return str(Path(value).expanduser().resolve())


def configured_source(name: str) -> str | None:
    """The git URL or absolute path a platform team set for template ``name``, if any."""
    env = os.environ.get(f"FACTORY_SOURCE_{name.upper().replace('-', '_')}")
    if env:
        return _absolute(env, f"FACTORY_SOURCE_{name.upper().replace('-', '_')}")
    path = config_path()
    value = _read_config().get("sources", {}).get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceError(f"{path}: sources.{name} must be a string", 'Write e.g. service = "https://..."')
    return _absolute(value, f"{path}: sources.{name}")


def _absolute(value: str, where: str) -> str:
    """URLs pass as they are; paths must be absolute so answers files never hold a relative source."""
    if "://" in value or value.startswith("git@"):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise SourceError(
            f"{where} is the relative path {value!r}",
            "Use an absolute path or a URL: copier records the source in every project's answers file.",
        )
    return str(path)
