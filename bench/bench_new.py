"""Median wall time of `factory new loan-scoring --defaults` against a plain `copier copy` of the same
template version, in one run, each a fresh process (what a user pays). Target: factory under 1.5 s and
no slower than copier.

    python bench/bench_new.py [--runs 7]
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
from collections.abc import Callable
from pathlib import Path


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(
    commands: dict[str, Callable[[Path], list[str]]], runs: int, work: Path, env: dict[str, str]
) -> dict[str, list[float]]:
    """Run the commands round-robin (so drift in machine load hits all of them alike)."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for i in range(runs):
        for label, make_cmd in commands.items():
            dst = work / f"run-{i}-{len(times[label])}-{label.split()[0]}"
            times[label].append(timed(make_cmd(dst), work, env))
            shutil.rmtree(dst)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="factory-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "FACTORY_HOME": str(work / "home")}
        env.pop("FACTORY_TEMPLATES_PATH", None)
        # Warm-up: fills the version store once (first use only) and the OS file cache.
        subprocess.run([bindir / "factory", "new", "warmup", "--defaults"], cwd=work, env=env, check=True)
        store = work / "home" / "templates" / "service"
        tag = subprocess.run(
            ["git", "describe", "--tags", "--abbrev=0"], cwd=store, capture_output=True, text=True, check=True
        ).stdout.strip()
        factory = [str(bindir / "factory"), "new", "loan-scoring", "--defaults", "--output-dir"]
        copier = [
            str(bindir / "copier"),
            "copy",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            tag,
            "--data",
            "project_name=loan-scoring",
            str(store),
        ]
        commands: dict[str, Callable[[Path], list[str]]] = {
            "factory new": lambda d: [*factory, str(d)],
            "factory new --no-git": lambda d: [*factory, str(d), "--no-git"],
            "copier copy (plain)": lambda d: [*copier, str(d / "loan-scoring")],
        }
        results = list(measure(commands, args.runs, work, env).items())
    print(f"{'operation':<24}{'median':>9}{'min':>9}{'max':>9}   runs={args.runs}, template {tag}")
    for label, times in results:
        print(f"{label:<24}{statistics.median(times):>8.3f}s{min(times):>8.3f}s{max(times):>8.3f}s")
    ratio = statistics.median(results[0][1]) / statistics.median(results[2][1])
    print(f"factory new / copier copy = {ratio:.2f}  (target: <= 1.00, and factory new < 1.5 s)")


if __name__ == "__main__":
    main()
