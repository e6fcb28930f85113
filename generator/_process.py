"""Running a module's own test commands (the only subprocess use besides git, in :mod:`._git`)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Completed:
    """A finished command: its exit code and combined output."""

    returncode: int
    output: str


def run_shell(command: str, cwd: Path, env: Mapping[str, str]) -> Completed:
    """Run ``command`` with the shell, as a module's manifest writes it (``make install``, ``make check``)."""
    proc = subprocess.run(  # noqa: S602 - a command from a module manifest the user chose to check
        command, shell=True, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return Completed(proc.returncode, proc.stdout + proc.stderr)
