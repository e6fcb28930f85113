"""Slow: `factory module check` passes on the bundled batch-scoring module (Spark local mode, Java 17+)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.matrix]  # make test-matrix (not in make test: CI time)

MODULE = Path(__file__).resolve().parents[2] / "modules" / "batch-scoring"


def test_module_check_passes_on_batch_scoring(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_CHECK_VENV", str(venv))
    monkeypatch.setenv("FACTORY_REQUIRE_SERVICES", "1")  # the Spark tests must run (Java present), not skip
    result = CliRunner().invoke(app, ["module", "check", str(MODULE)])
    assert result.exit_code == 0, result.output
