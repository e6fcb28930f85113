"""A project made from the released service 1.3.0 and used for a while upgrades to today's template.

The 1.3.0 template is taken from the repository's history (commit ``RELEASE_COMMIT``), published to an
isolated version store and rendered; the project is then used as a team would use it: edits committed
to files the new template also changes, files of its own, a retrained model, and the runtime data the
1.3 service writes under ``var/`` (written by the 1.3 code itself where it needs only the standard
library: audit trail, API keys, review queue, incident register). ``factory update`` must then merge
without conflicts, keep every edit and leave ``var/``, the model artifacts and ``.env`` byte for byte as they
were (the text files of ``models/`` merge the template's changes with the retrained model's checksum).

Fast: nothing is installed; the 1.3 code runs with this interpreter. Without the commit (a shallow clone,
an export) the test skips, or fails under ``FACTORY_REQUIRE_TOOLS=1`` as in CI.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version
from typer.testing import CliRunner

from generator import NewRequest, new_project
from generator.cli import app
from tests.conftest import REPO_ROOT, SERVICE_TEMPLATE

RELEASE_COMMIT = "33de05fa1d6c689b24876fa1d4177ed75ddd9b8b"  # templates/service as released in 1.3.0
RELEASE_VERSION = "1.3.0"
NAME, PACKAGE = "loan-scoring", "loan_scoring"
README_EDIT = "> Owned by the retail-credit team; escalations to credit-risk-oncall@bank.example.\n"
SOURCE_EDIT = "# Retail credit: thresholds agreed with the credit committee (CR-2291).\n"
SOURCE_FILE = f"src/{PACKAGE}/settings.py"
OWN_FILES = {
    "docs/our-runbook.md": "# Our runbook\n\nRestart the service with `make run` after a key rotation.\n",
    f"src/{PACKAGE}/bank_rules.py": '"""Rules of our bank."""\n\nMAX_TENURE_MONTHS = 84\n',
}
ENV_FILE = f"{PACKAGE.upper()}_APPROVE_BELOW=0.12\n{PACKAGE.upper()}_REGION=ap-south-1\n"

# Run by the 1.3 project's own code (this interpreter, PYTHONPATH=src, in the project folder): the
# runtime data of a service that has been deciding for a while, as the 1.3 service writes it.
USE_THE_SERVICE = f"""
import json
from pathlib import Path

from {PACKAGE}.audit._sqlite import SqliteAuditStore
from {PACKAGE}.incidents import IncidentRegister
from {PACKAGE}.keys import KeyStore
from {PACKAGE}.reviews import ReviewQueue

var = Path("var")
trail = SqliteAuditStore(var / "audit.db", checkpoint_interval=2)
for n in range(5):
    body = {{"request_id": f"req-{{n}}", "caller": "loan-desk", "score": 600 + n, "decision": "approve"}}
    trail.submit("decision", body).result()
trail.close()
print(KeyStore(var / "api-keys.json").create("loan-desk", ("scorer",)))  # the key, shown once
queue = ReviewQueue(var / "reviews.db")
queue.enqueue("case-1", None, "req-1", "policy_flag", {{"decision": "refer"}})
queue.close()
register = IncidentRegister(var / "incidents.db")
register.open("drift", "psi:debt_to_income", "PSI above 0.25", {{"feature": "debt_to_income"}}, "ops")
register.close()
state = {{"engaged": False, "reason": "", "by": "", "changed_at": ""}}
(var / "kill-switch.json").write_text(json.dumps(state), encoding="utf-8")
"""


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout


def unavailable(reason: str) -> None:
    """Skip with ``reason``; fail instead when CI requires every tool (``FACTORY_REQUIRE_TOOLS``)."""
    if os.environ.get("FACTORY_REQUIRE_TOOLS"):
        pytest.fail(f"{reason} (FACTORY_REQUIRE_TOOLS is set: run on a clone with history)")
    pytest.skip(reason)


def release_template(dest: Path) -> Path:
    """``templates/service`` as released in 1.3.0, extracted from git history into ``dest/service``."""
    proc = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", f"{RELEASE_COMMIT}^{{commit}}", "templates/service"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        unavailable(
            f"the service 1.3.0 release (commit {RELEASE_COMMIT[:7]}) is not in this checkout's history: "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(dest, filter="data")
    shutil.move(dest / "templates" / "service", dest / "service")
    shutil.rmtree(dest / "templates")
    manifest = tomllib.loads((dest / "service" / "template.toml").read_text(encoding="utf-8"))
    assert manifest["template"]["version"] == RELEASE_VERSION
    return dest / "service"


def current_template(dest: Path) -> tuple[Path, str]:
    """Today's template, its version raised above 1.3.0 if not yet bumped (as the release will be)."""
    template = dest / "service"
    shutil.copytree(SERVICE_TEMPLATE, template, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = template / "template.toml"
    text = manifest.read_text(encoding="utf-8")
    version = tomllib.loads(text)["template"]["version"]
    if Version(version) <= Version(RELEASE_VERSION):
        version = "1.4.0"
        text = text.replace(f'version = "{RELEASE_VERSION}"', f'version = "{version}"')
        manifest.write_text(text, encoding="utf-8")
    return template, version


def tracked(project: Path) -> set[str]:
    return set(git(project, "ls-files", "-z").split("\0")) - {""}


def insert_in_unchanged_lines(old: str, new: str, line: str) -> str:
    """``old`` with ``line`` inserted amid lines that ``new`` keeps (3 unchanged lines on each side).

    So the user's edit never overlaps the template's change and a three-way merge must keep both.
    """
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for start, _, size in matcher.get_matching_blocks():
        if size >= 7:  # three unchanged lines, the edit, three unchanged lines
            at = start + 3
            return "".join([*old_lines[:at], line, *old_lines[at:]])
    pytest.fail("the new template rewrites the whole file: no unchanged lines to put a user's edit between")


def retrain(models: Path) -> None:
    """What `<project> train` on new data leaves: another artifact, its checksum in the metadata."""
    artifact = models / "credit-risk.skops"
    old_sha = hashlib.sha256(artifact.read_bytes()).hexdigest()
    with zipfile.ZipFile(artifact, "a") as archive:  # still a valid skops (zip) file, other bytes
        archive.comment = b"retrained on 2026-11 data"
    new_sha = hashlib.sha256(artifact.read_bytes()).hexdigest()
    for metadata in models.glob("*.json"):
        text = metadata.read_text(encoding="utf-8")
        metadata.write_text(text.replace(old_sha, new_sha), encoding="utf-8")
    shutil.copyfile(artifact, models / "challenger.skops")


def schema_of(source: Path) -> str:
    """The ``_SCHEMA`` SQL a 1.3 module creates its SQLite file with."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_SCHEMA" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    pytest.fail(f"{source} has no _SCHEMA")


def use_the_service(project: Path) -> str:
    """Runtime data under var/ as the 1.3 service leaves it (its own code writes it where it can).

    Returns the API key (a scorer's) the 1.3 ``keys create`` made.
    """
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", USE_THE_SERVICE],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # the subject key store needs `cryptography`, not installed here: its 1.3 schema, with one key row
    with sqlite3.connect(project / "var" / "subject-keys.db") as db:
        db.executescript(schema_of(project / "src" / PACKAGE / "privacy.py"))
    (project / "var" / "audit-archive").mkdir()
    (project / "var" / "audit-archive" / "segment-000001.jsonl").write_text('{"seq": 1}\n', encoding="utf-8")
    (project / ".env").write_text(ENV_FILE, encoding="utf-8")
    return proc.stdout.strip()


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file under var/ and models/, and .env: what an upgrade must leave alone."""
    data = [p for root in ("var", "models") for p in (project / root).rglob("*") if p.is_file()]
    files = [project / ".env", *data]
    return {path.relative_to(project).as_posix(): path.read_bytes() for path in files}


def test_a_project_in_use_upgrades_from_the_1_3_release(
    factory_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(release_template(tmp_path / "release").parent))
    project = new_project(NewRequest(name=NAME, output_dir=tmp_path / "work")).path
    assert "_commit: v1.3.0\n" in (project / ".copier-answers.yml").read_text(encoding="utf-8")
    released = tracked(project)

    template, version = current_template(tmp_path / "current")
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(template.parent))
    fresh = new_project(NewRequest(name=NAME, output_dir=tmp_path / "fresh", git_init=False)).path
    fresh_files = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}

    # --- the project in use: edits, own files, a retrained model, runtime data; committed ---
    edited: dict[str, str] = {}
    for rel, line in (("README.md", README_EDIT), (SOURCE_FILE, SOURCE_EDIT)):
        old = (project / rel).read_text(encoding="utf-8")
        new = (fresh / rel).read_text(encoding="utf-8")
        assert old != new, f"{rel}: the new template no longer changes it; pick a file it changes"
        edited[rel] = insert_in_unchanged_lines(old, new, line)
        (project / rel).write_text(edited[rel], encoding="utf-8")
    for rel, text in OWN_FILES.items():
        (project / rel).write_text(text, encoding="utf-8")
    retrain(project / "models")
    use_the_service(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our edits, our model")
    assert not any(rel.startswith("var/") or rel == ".env" for rel in tracked(project))  # git-ignored
    before = snapshot(project)
    assert {"var/audit.db", "var/api-keys.json", "var/reviews.db", "var/incidents.db"} <= before.keys()

    # --- the upgrade ---
    result = CliRunner().invoke(app, ["update", str(project)])

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "conflict" not in result.stdout
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert f"_commit: v{version}\n" in answers
    after = snapshot(project)
    kept = [rel for rel in before if not rel.startswith("models/") or rel.endswith(".skops")]
    assert {rel: after[rel] for rel in kept} == {rel: before[rel] for rel in kept}  # var/, .env, artifacts
    for rel in before.keys() - set(kept):  # text files of models/: merged with the template's changes
        new_sha = hashlib.sha256(before["models/credit-risk.skops"]).hexdigest()
        if new_sha in before[rel].decode("utf-8"):
            assert new_sha in after[rel].decode("utf-8"), f"{rel}: the retrained model's checksum was lost"
    for rel, line in (("README.md", README_EDIT), (SOURCE_FILE, SOURCE_EDIT)):
        text = (project / rel).read_text(encoding="utf-8")
        assert line in text, f"{rel}: the user's edit was lost"
        assert text.replace(line, "", 1) == (fresh / rel).read_text(encoding="utf-8"), f"{rel}: not merged"
    for rel, text in OWN_FILES.items():
        assert (project / rel).read_text(encoding="utf-8") == text
    retrained = {rel for rel in fresh_files if rel.startswith("models/")}
    untouched = sorted(fresh_files - set(edited) - retrained - {".copier-answers.yml"})
    differing = [rel for rel in untouched if (project / rel).read_bytes() != (fresh / rel).read_bytes()]
    assert differing == [], f"files the user never edited differ from a fresh render: {differing}"
    assert (fresh_files - released) <= {p.relative_to(project).as_posix() for p in project.rglob("*")}
    gone = released - fresh_files - set(edited) - set(OWN_FILES)
    assert [rel for rel in sorted(gone) if (project / rel).exists()] == []
