"""One generated project and one virtualenv for every slow test in this folder (installing takes a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import NewRequest, new_project


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e")
    return new_project(NewRequest(name="loan-scoring", output_dir=out)).path


@pytest.fixture(scope="session")
def venv(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv with the project installed as its README says (editable, dev and training extras)."""
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "-e", f"{project}[dev,train,byom]"],
        check=True,
        capture_output=True,
    )
    return env_dir


@pytest.fixture
def api_key(venv: Path, tmp_path: Path) -> tuple[Path, str]:
    """A scorer key made as the README says (`loan-scoring keys create`): the file of hashes, and the key."""
    keys = tmp_path / "api-keys.json"
    proc = subprocess.run(
        [str(venv / "bin" / "loan-scoring"), "keys", "create", "--role", "scorer", "--name", "e2e"],
        env={**os.environ, "LOAN_SCORING_API_KEYS_PATH": str(keys)},
        capture_output=True,
        text=True,
        check=True,
    )
    return keys, proc.stdout.strip()
