"""Slow: `factory module check` passes on the bundled postgres module (needs PostgreSQL on 127.0.0.1:5432)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.matrix]  # make test-matrix (not in make test: CI time)

MODULE = Path(__file__).resolve().parents[2] / "modules" / "postgres"


def test_module_check_passes_on_postgres(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_CHECK_VENV", str(venv))
    monkeypatch.setenv("FACTORY_REQUIRE_SERVICES", "1")  # run the audit tests for real, never skip
    result = CliRunner().invoke(app, ["module", "check", str(MODULE)])
    assert result.exit_code == 0, result.output
