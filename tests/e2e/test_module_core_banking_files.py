"""Slow: `factory module check` passes on the bundled core-banking-files module (its tests generate exports
with every defect and kill an ingest midway to resume it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.matrix]  # make test-matrix (not in make test: CI time)

MODULE = Path(__file__).resolve().parents[2] / "modules" / "core-banking-files"


def test_module_check_passes_on_core_banking_files(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_CHECK_VENV", str(venv))
    result = CliRunner().invoke(app, ["module", "check", str(MODULE)])
    assert result.exit_code == 0, result.output
