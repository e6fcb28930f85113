from pathlib import Path

import pytest

from generator._manifest import ModuleInfo, load_module_manifest
from generator._plan import resolve_plan
from generator.errors import ManifestError, ModuleConflictError, UnknownModuleError, UnsupportedBaseError


def module(name: str, **fields: object) -> ModuleInfo:
    return ModuleInfo.model_validate({"name": name, "version": "1.0.0", "summary": name, **fields})


CATALOG = {
    "postgres": module("postgres", base="service>=1.0,<2"),
    "audit-postgres": module("audit-postgres", requires=["postgres"]),
    "sqlite-store": module("sqlite-store", conflicts=["postgres"]),
    "redis-cache": module("redis-cache"),
    "event-bus": module("event-bus", requires=["redis-cache", "postgres"]),
    "future": module("future", base="service>=2"),
    "loop-a": module("loop-a", requires=["loop-b"]),
    "loop-b": module("loop-b", requires=["loop-a"]),
}


def test_requirements_come_first_in_a_stable_order() -> None:
    plan = resolve_plan(["event-bus", "audit-postgres"], CATALOG, base=("service", "1.0.0"))
    assert plan.steps == ("redis-cache", "postgres", "event-bus", "audit-postgres")


def test_installed_modules_are_not_applied_again() -> None:
    plan = resolve_plan(
        ["postgres", "audit-postgres"], CATALOG, installed=["postgres"], base=("service", "1.0.0")
    )
    assert plan.steps == ("audit-postgres",)
    assert plan.already == ("postgres",)


@pytest.mark.parametrize(
    ("requested", "installed"),
    [(["sqlite-store", "postgres"], []), (["sqlite-store"], ["postgres"]), (["postgres"], ["sqlite-store"])],
)
def test_conflicts_are_refused_both_ways(requested: list[str], installed: list[str]) -> None:
    with pytest.raises(ModuleConflictError, match="conflicts with"):
        resolve_plan(requested, CATALOG, installed=installed, base=("service", "1.0.0"))


def test_unknown_module_suggests_names() -> None:
    with pytest.raises(UnknownModuleError) as info:
        resolve_plan(["postgress"], CATALOG)
    assert "postgres" in info.value.hint
    assert info.value.exit_code == 2


def test_unsupported_base_version() -> None:
    with pytest.raises(UnsupportedBaseError, match="service>=2"):
        resolve_plan(["future"], CATALOG, base=("service", "1.0.0"))


def test_requires_cycle_is_named() -> None:
    with pytest.raises(ModuleConflictError, match="loop-a -> loop-b -> loop-a"):
        resolve_plan(["loop-a"], CATALOG, base=("service", "1.0.0"))


def test_module_manifest_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "module.toml"
    path.write_text(
        '[module]\nname = "redis-cache"\nversion = "0.1.0"\nsummary = "Redis cache"\nbase = "service>=1.0"\n'
        'python_dependencies = ["redis==5.2.1"]\n'
        '[module.settings.url]\ntype = "str"\ndescription = "Redis URL"\ndefault = "redis://127.0.0.1:6379/0"\n'
        '[module.settings.password]\ntype = "str"\ndescription = "Password"\nsecret = true\n',
        encoding="utf-8",
    )
    info = load_module_manifest(path).module
    assert info.settings["password"].secret
    assert info.supports("service", "1.4.0")
    assert not info.supports("other", "1.4.0")


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ('requries = ["x"]\n', "did you mean 'requires'"),
        ('python_dependencies = ["redis>>1"]\n', "PEP 508"),
        ('base = "service >>> 1"\n', "template requirement"),
        ('requires = ["Bad Name"]\n', "not module names"),
        (
            '[module.settings.token]\ntype = "str"\ndescription = "t"\nsecret = true\ndefault = "x"\n',
            "secret",
        ),
    ],
)
def test_invalid_module_manifest(tmp_path: Path, extra: str, fragment: str) -> None:
    path = tmp_path / "module.toml"
    path.write_text(f'[module]\nname = "m"\nversion = "1.0.0"\nsummary = "M"\n{extra}', encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_module_manifest(path)
    assert fragment in info.value.message
