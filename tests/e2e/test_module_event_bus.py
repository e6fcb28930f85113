"""Slow: `factory module check` passes on the bundled event-bus module, for each backend preset.

Needs RabbitMQ on 127.0.0.1:5672 and NATS JetStream on 127.0.0.1:4222 (the kafka preset tests its
adapter against an in-process test double: no Kafka broker runs here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.matrix]  # make test-matrix (not in make test: CI time)

MODULE = Path(__file__).resolve().parents[2] / "modules" / "event-bus"


def test_module_check_passes_on_event_bus(venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_CHECK_VENV", str(venv))
    result = CliRunner().invoke(app, ["module", "check", str(MODULE)])
    assert result.exit_code == 0, result.output
