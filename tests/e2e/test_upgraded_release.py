"""A used 1.3.0 project, upgraded, runs on the new code with its own model, API keys and audit trail.

The fast test (tests/update/test_upgrade_from_release.py) shows the upgrade keeps every file; this one
runs the upgraded code (in the session's virtualenv, the upgraded ``src`` first on the path) from another
working directory: the 1.3 trail verifies, the first start creates the witness key and witnesses the 1.3
head, the 1.3 API key scores with the retrained model, and nothing is written outside the project.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from generator import NewRequest, new_project, update_project
from tests.update.test_upgrade_from_release import (
    NAME,
    PACKAGE,
    current_template,
    git,
    release_template,
    retrain,
    use_the_service,
)

pytestmark = pytest.mark.slow

CLI = f"import sys; from {PACKAGE}.cli import main; sys.argv[0] = {NAME!r}; sys.exit(main())"
SERVE = f"""
import json, sys
from pathlib import Path

from fastapi.testclient import TestClient

from {PACKAGE}.app import create_app
from {PACKAGE}.settings import Settings

project, key = Path(sys.argv[1]), sys.argv[2]
applicant = json.loads((project / "tests" / "data" / "applicant.json").read_text(encoding="utf-8"))
with TestClient(create_app(Settings(), integrations=[])) as client:
    ready = client.get("/readyz")
    scored = client.post("/v1/score", json=applicant, headers={{"Authorization": f"Bearer {{key}}"}})
outcome = {{"ready": ready.status_code, "status": scored.status_code, "body": scored.json()}}
print("RESULT " + json.dumps(outcome))
"""


def test_the_upgraded_project_serves_with_its_1_3_model_keys_and_trail(
    venv: Path, factory_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(release_template(tmp_path / "release").parent))
    project = new_project(NewRequest(name=NAME, output_dir=tmp_path / "work")).path
    retrain(project / "models")
    key = use_the_service(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our model")
    template, _version = current_template(tmp_path / "current")
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(template.parent))
    assert update_project(project).conflicts == []

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(f"{PACKAGE.upper()}_")}
    env["PYTHONPATH"] = str(project / "src")

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(venv / "bin" / "python"), "-c", *args]
        return subprocess.run(
            command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    chain = python(CLI, "audit", "verify", "--no-witness")
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert "ok: 5 records" in chain.stdout
    before_start = python(CLI, "audit", "verify")
    assert before_start.returncode != 0
    assert "no witness at" in before_start.stdout + before_start.stderr  # as docs/template-versions.md says

    served = python(SERVE, str(project), key)
    assert served.returncode == 0, served.stderr[-3000:]
    [line] = [line for line in served.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(line.removeprefix("RESULT "))
    assert (result["ready"], result["status"]) == (200, 200), result
    assert result["body"]["decision"] in {"approve", "refer", "decline"}
    retrained = hashlib.sha256((project / "models" / "credit-risk.skops").read_bytes()).hexdigest()
    assert retrained in served.stdout  # the model_loaded log names the artifact served: the team's own

    assert (project / "var" / "witness-key" / "audit-witness.key").is_file()
    witnessed = python(CLI, "audit", "verify")
    assert witnessed.returncode == 0, witnessed.stdout + witnessed.stderr
    assert "ok: 6 records" in witnessed.stdout
    assert "witnessed heads" in witnessed.stdout
    assert not (elsewhere / "var").exists()
