"""Wall time of `factory add` (five modules in one command) and `factory update` (five module upgrades)
against plain copier doing the same work (`copier copy` and `copier update -a` once per module), in one
run, interleaved, each a fresh process as a user runs it.

The five modules are made with `factory module new` (an API client, its tests and a dependency each).
Each update run upgrades all five from 0.1.0 to 0.2.0 (a changed line in each module's client). The
factory runs first in each round, so the version store already holds 0.1.0 when copier copies it.

    python bench/bench_modules.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = [f"bench-api-{c}" for c in "abcde"]


def run(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, check=False, capture_output=True, text=True)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run(cmd, cwd, env)
    return time.perf_counter() - start


def make_modules(factory: str, root: Path, env: dict[str, str]) -> None:
    root.mkdir()
    for name in MODULES:
        run([factory, "module", "new", name, "--no-git", "-o", str(root)], root, env)


def release_v2(root: Path) -> None:
    for name in MODULES:
        manifest = root / name / "module.toml"
        manifest.write_text(manifest.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
        client = next((root / name / "template" / "src").rglob("*.py.jinja"))
        client.write_text(client.read_text() + "\n\nRELEASE = 2\n")


def fresh_project(factory: str, work: Path, env: dict[str, str]) -> Path:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    run([factory, "new", "loan-scoring", "--defaults", "-o", str(work)], work, env)
    return work / "loan-scoring"


def commit(project: Path, env: dict[str, str]) -> None:
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-qm", "bench"], project, env)


def copier_add(copier: str, store: Path, project: Path, env: dict[str, str]) -> float:
    total = 0.0
    for name in MODULES:
        cmd = [
            copier,
            "copy",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "v0.1.0",
            str(store / name),
            str(project),
        ]
        total += timed(cmd, project, env)
    return total


def copier_update(copier: str, project: Path, env: dict[str, str]) -> float:
    total = 0.0
    for name in MODULES:
        cmd = [copier, "update", "--defaults", "--quiet", "-a", f".copier-answers.{name}.yml"]
        total += timed(cmd, project, env)
        commit(project, env)  # copier refuses a dirty tree between updates
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    factory, copier = str(bindir / "factory"), str(bindir / "copier")
    labels = ("factory add", "copier copy x5", "factory update", "copier update x5")
    times: dict[str, list[float]] = {label: [] for label in labels}
    with tempfile.TemporaryDirectory(prefix="factory-bench-modules-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "FACTORY_HOME": str(work / "home"),
            "FACTORY_MODULES_PATH": str(work / "modules"),
        }
        env.update({"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench"})
        env["GIT_COMMITTER_EMAIL"] = "b@x"
        make_modules(factory, work / "modules", env)
        store = work / "home" / "modules"
        for i in range(args.runs):
            for flavour in ("factory", "copier"):
                release = work / "modules"
                shutil.rmtree(release)
                make_modules(factory, release, env)  # 0.1.0 again (the store already has it tagged)
                project = fresh_project(factory, work / f"p-{i}-{flavour}", env)
                if flavour == "factory":
                    times["factory add"].append(timed([factory, "add", *MODULES], project, env))
                else:
                    times["copier copy x5"].append(copier_add(copier, store, project, env))
                commit(project, env)
                release_v2(release)
                run(
                    [factory, "status"], project, env, ok=(0, 4)
                )  # puts 0.2.0 in the store, as any command does
                if flavour == "factory":
                    times["factory update"].append(timed([factory, "update"], project, env))
                else:
                    times["copier update x5"].append(copier_update(copier, project, env))
    print(f"{'operation (5 modules)':<22}{'median':>9}{'min':>9}{'max':>9}   runs={args.runs}")
    for label, values in times.items():
        print(f"{label:<22}{statistics.median(values):>8.3f}s{min(values):>8.3f}s{max(values):>8.3f}s")


if __name__ == "__main__":
    main()
