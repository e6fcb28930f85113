"""Slow: `factory module check` passes on the bundled object-storage module (moto is its S3 server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.matrix]  # make test-matrix (not in make test: CI time)

MODULE = Path(__file__).resolve().parents[2] / "modules" / "object-storage"


def test_module_check_passes_on_object_storage(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_CHECK_VENV", str(venv))
    result = CliRunner().invoke(app, ["module", "check", str(MODULE)])
    assert result.exit_code == 0, result.output
    assert "object-storage 0.2.0: preset kms, fresh" in result.output
