"""``factory module check``: prove a module works, for every preset, fresh and as an upgrade.

For each answer preset the module declares (``presets.toml``; one ``defaults`` preset when there is
none), a project is generated from the base template, the module is added, committed, and the module's
test ``setup`` and ``command`` (``module.toml`` ``[module.test]``) run in it. When the registry holds an
older version of the module, a project is generated with that version, upgraded to this one with
``factory update`` (conflicts fail the check), and tested again. Test projects share one virtualenv
(``FACTORY_CHECK_VENV``, by default ``FACTORY_HOME/check-venv``, passed as ``VENV`` to ``make``) so
only the first install downloads.
"""

from __future__ import annotations

import os
import socket
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from . import _git, _registry
from ._api import NewRequest, new_project
from ._catalog import Template, find_modules, module_from_path
from ._config import factory_home
from ._manifest import ModuleInfo
from ._modules import add_modules
from ._process import run_shell
from ._update import update_project
from .errors import CheckFailedError, ManifestError

_TAIL = 40  # lines of a failing command's output kept in the result


@dataclass(frozen=True)
class CheckRun:
    """One generated project the module was tested in."""

    preset: str
    scenario: str  # "fresh" or "upgrade from X"
    ok: bool
    output: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What ``factory module check`` found."""

    module: str
    version: str
    runs: list[CheckRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every run passed."""
        return all(run.ok for run in self.runs)


def check_module(
    path: Path, *, trust: bool = False, progress: Callable[[str], None] = lambda _text: None
) -> CheckResult:
    """Check the module in folder ``path`` (see the module docstring)."""
    module = module_from_path(path, trusted=trust)
    info = module.module
    presets = load_presets(module.path)
    _require_services(info)
    catalog = {**find_modules(), module.name: module}
    result = CheckResult(info.name, info.version)
    with tempfile.TemporaryDirectory(prefix=f"factory-check-{info.name}-") as tmp:
        work = Path(tmp)
        for preset, answers in presets.items():
            progress(f"Checking {info.name} {info.version} with preset {preset}")
            project = _project_with(work / f"fresh-{preset}", info, catalog, answers)
            result.runs.append(_run_tests(project, info, preset, "fresh"))
        previous = _registry.previous_version(info.name, info.version)
        if previous is not None:
            progress(f"Upgrading {info.name} {previous} → {info.version}")
            result.runs.append(_upgrade_run(work, info, module, catalog, previous, trust))
    return result


def load_presets(module: Path) -> dict[str, dict[str, Any]]:
    """The answer presets in ``presets.toml`` (``[presets.NAME]`` tables); ``defaults`` when absent."""
    path = module / "presets.toml"
    if not path.is_file():
        return {"defaults": {}}
    try:
        presets = tomllib.loads(path.read_text(encoding="utf-8")).get("presets", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read it: {exc}", "Fix the TOML syntax.") from exc
    if not presets or not all(isinstance(v, dict) for v in presets.values()):
        raise ManifestError(
            f"{path}: no [presets.NAME] tables", 'Write e.g. [presets.experian] bureau = "experian"'
        )
    return {str(k): dict(v) for k, v in presets.items()}


def _require_services(info: ModuleInfo) -> None:
    for service in info.test.services:
        host, _, port = service.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except (OSError, ValueError) as exc:
            raise CheckFailedError(
                f"{info.name} tests need {service}, which is not reachable: {exc}",
                "Start that service (see the module's README), then check again.",
            ) from exc


def _project_with(
    folder: Path, info: ModuleInfo, catalog: Mapping[str, Template], answers: Mapping[str, Any]
) -> Path:
    project = new_project(NewRequest(name="module-check", output_dir=folder, template=_base_name(info))).path
    add_modules(project, [info.name], answers, catalog=catalog, trust=catalog[info.name].trusted)
    _commit(project, f"add {info.name}")
    return project


def _upgrade_run(
    work: Path,
    info: ModuleInfo,
    module: Template,
    catalog: Mapping[str, Template],
    previous: str,
    trust: bool,
) -> CheckRun:
    scenario = f"upgrade from {previous}"
    old_folder = _registry.export(info.name, previous, work / "previous")
    old = module_from_path(old_folder, trusted=trust)  # its own manifest: requirements may have changed
    project = _project_with(work / "upgrade", info, {**catalog, info.name: old}, {})
    update = update_project(project, trust=trust, catalog={**catalog, info.name: module})
    if update.conflicts:
        return CheckRun("defaults", scenario, ok=False, output=f"conflicts in {', '.join(update.conflicts)}")
    _commit(project, f"update {info.name}")
    return _run_tests(project, info, "defaults", scenario)


def _run_tests(project: Path, info: ModuleInfo, preset: str, scenario: str) -> CheckRun:
    venv = os.environ.get("FACTORY_CHECK_VENV") or str(factory_home() / "check-venv")
    env = {**os.environ, "VENV": venv}
    for command in (info.test.setup, info.test.command):
        if not command:
            continue
        proc = run_shell(command, project, env)
        if proc.returncode != 0:
            tail = "\n".join(proc.output.splitlines()[-_TAIL:])
            output = f"`{command}` exited {proc.returncode}\n{tail}"
            return CheckRun(preset, scenario, ok=False, output=output)
    return CheckRun(preset, scenario, ok=True)


def _base_name(info: ModuleInfo) -> str:
    return Requirement(info.base).name


def _commit(project: Path, message: str) -> None:
    _git.run(["add", "-A"], project)
    if _git.has_staged_changes(project):
        _git.commit(project, message)


def publish_module(
    path: Path, *, trust: bool = False, progress: Callable[[str], None] = lambda _text: None
) -> _registry.Published:
    """Check the module at ``path`` and record its version in the registry; refuse if either fails."""
    manifest = module_from_path(path).module
    _registry.require_unpublished(manifest.name, manifest.version)  # before the slow check
    result = check_module(path, trust=trust, progress=progress)
    if not result.ok:
        failed = [f"{run.preset} ({run.scenario})" for run in result.runs if not run.ok]
        raise CheckFailedError(
            f"{manifest.name} {manifest.version} failed its check: {', '.join(failed)}",
            "Run `factory module check` to see the output, fix the module, then publish again.",
        )
    progress(f"Publishing {manifest.name} {manifest.version}")
    return _registry.publish(path)
