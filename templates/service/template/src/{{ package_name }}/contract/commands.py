"""``contract generate`` and ``contract check`` (``make contract``; ``make lint`` runs the check)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ._codegen import GENERATED, render
from ._compat import breaking_changes, snapshot
from ._load import DEFAULT_PATH, load_contract

SNAPSHOTS = Path("contract")


@dataclass(frozen=True)
class ContractFiles:
    """Where the contract, the generated module and the API snapshots are."""

    contract: Path = DEFAULT_PATH
    generated: Path = GENERATED
    snapshots: Path = SNAPSHOTS


@dataclass
class Report:
    """What ``generate`` wrote, and the problems ``check`` (or ``generate``) found."""

    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def generate(files: ContractFiles) -> Report:
    """Write the generated module; write or refresh the API snapshot unless the change breaks its clients."""
    contract = load_contract(files.contract)
    report = Report()
    code = render(contract, files.contract.read_text(encoding="utf-8"), files.contract.name)
    if _write_if_changed(files.generated, code):
        report.written.append(files.generated)
    released, current = _snapshot_path(files, contract.use_case.api_version), snapshot(contract)
    broken = breaking_changes(json.loads(released.read_text(encoding="utf-8")), current) if released.exists() else []
    if broken:
        report.problems.extend(_breaking(released, contract.use_case.api_version, broken))
    elif _write_if_changed(released, json.dumps(current, indent=2, ensure_ascii=False) + "\n"):
        report.written.append(released)
    return report


def check(files: ContractFiles) -> Report:
    """The problems: the generated module or the snapshot is stale, or the contract breaks API clients."""
    contract = load_contract(files.contract)
    report = Report()
    code = render(contract, files.contract.read_text(encoding="utf-8"), files.contract.name)
    if not files.generated.exists() or files.generated.read_text(encoding="utf-8") != code:
        report.problems.append(f"{files.generated} does not match {files.contract}: run `make contract`")
    version = contract.use_case.api_version
    released, current = _snapshot_path(files, version), snapshot(contract)
    if not released.exists():
        report.problems.append(f"{released} is missing (the released API v{version}): run `make contract`")
        return report
    old = json.loads(released.read_text(encoding="utf-8"))
    broken = breaking_changes(old, current)
    report.problems.extend(_breaking(released, version, broken))
    if not broken and old != current:
        report.problems.append(f"{released} does not hold the compatible additions yet: run `make contract`")
    return report


def _snapshot_path(files: ContractFiles, version: int) -> Path:
    return files.snapshots / f"api-v{version}.json"


def _breaking(released: Path, version: int, changes: list[str]) -> list[str]:
    fix = f"raise [use_case] api_version to {version + 1} (clients of v{version} keep {released})"
    return [f"breaks clients of API v{version} ({released}): {change}; {fix}" for change in changes]


def _write_if_changed(path: Path, text: str) -> bool:
    """Write atomically (a temporary file renamed into place); False when the content is already there."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return True
