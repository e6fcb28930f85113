"""The built wheel is self-contained: `pip install .` gives a `factory` that works from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("*.whl"))


def test_wheel_ships_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/_bundled/templates/service/copier.yml" in names
    assert "generator/_bundled/templates/service/template.toml" in names
    assert any(n.startswith("generator/_bundled/templates/service/template/src/") for n in names)
    assert "generator/_bundled/modules/README.md" in names
    assert not [n for n in names if "__pycache__" in n]


def test_installed_wheel_generates_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    env = {**os.environ, "FACTORY_HOME": str(tmp_path / "home")}
    env.pop("FACTORY_TEMPLATES_PATH", None)
    factory = str(venv / "bin" / "factory")
    proc = subprocess.run(
        [factory, "new", "loan-scoring", "--defaults"], cwd=work, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project = work / "loan-scoring"
    assert (project / "src" / "loan_scoring").is_dir()
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert f"_src_path: {tmp_path / 'home' / 'templates' / 'service'}" in answers
    listing = subprocess.run(
        [factory, "list", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    entries = json.loads(listing.stdout)
    assert sorted(e["name"] for e in entries if e["kind"] == "template") == ["module", "service"]
    bundled_modules = {e["name"] for e in entries if e["kind"] == "module"}
    bundled = {
        "postgres",
        "redis-cache",
        "event-bus",
        "object-storage",
        "batch-scoring",
        "vendor-api",
        "oidc-auth",
    }
    assert bundled <= bundled_modules
    # the installed copy reads templates from site-packages, not from this checkout
    located = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import generator._catalog as c; print(c._bundled_root('templates'))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in located.stdout
