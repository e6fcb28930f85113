"""Shared fixtures: an isolated factory home and git config for every test session."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import NewRequest, new_project

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICE_TEMPLATE = REPO_ROOT / "templates" / "service"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep tests away from the developer's ~/.local/share/factory and ~/.gitconfig."""
    home = tmp_path_factory.mktemp("factory-home")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Factory Tests\n\temail = tests@factory.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    saved = dict(os.environ)
    os.environ.update(
        {
            "FACTORY_HOME": str(home / "store"),
            "FACTORY_CONFIG": str(home / "config.toml"),
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
        }
    )
    overrides = {"FACTORY_TEMPLATES_PATH", "FACTORY_MODULES_PATH", "FACTORY_REGISTRY", "FACTORY_TRUSTED"}
    for key in [k for k in os.environ if k.startswith("FACTORY_SOURCE_") or k in overrides]:
        del os.environ[key]
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def factory_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty version store for one test."""
    home = tmp_path / "factory-home"
    monkeypatch.setenv("FACTORY_HOME", str(home))
    return home


@pytest.fixture
def template_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the service template that the catalog finds first (safe to edit in a test)."""
    root = tmp_path / "templates"
    shutil.copytree(SERVICE_TEMPLATE, root / "service", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(root))
    return root / "service"


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`factory new loan-scoring --defaults`, rendered once per session (read-only for tests)."""
    out = tmp_path_factory.mktemp("default-project")
    return new_project(NewRequest(name="loan-scoring", output_dir=out)).path


def service_reachable(host: str, port: int) -> bool:
    """Whether a TCP service listens at host:port (for tests that need a local server)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
