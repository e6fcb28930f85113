import subprocess
from pathlib import Path

import pytest

from generator._catalog import Template
from generator._config import configured_source
from generator._sources import content_digest, publish_to_store, resolve_source, store_path
from generator.errors import SourceError, SourceUnreachableError


def _template(tmp_path: Path, version: str, body: str = "hello") -> Template:
    folder = tmp_path / "tpl" / "demo"
    (folder / "template").mkdir(parents=True, exist_ok=True)
    (folder / "copier.yml").write_text("_subdirectory: template\n", encoding="utf-8")
    (folder / "template" / "README.md").write_text(body, encoding="utf-8")
    return Template("demo", version, "Demo", folder)


def _tags(repo: Path) -> list[str]:
    out = subprocess.run(["git", "tag", "--list"], cwd=repo, capture_output=True, text=True, check=True)
    return sorted(out.stdout.split())


def test_first_use_commits_and_tags(tmp_path: Path, factory_home: Path) -> None:
    ref = publish_to_store(_template(tmp_path, "1.0.0"))
    assert ref.src == str(store_path("demo"))
    assert Path(ref.src).is_absolute()
    assert ref.ref == "v1.0.0"
    assert _tags(Path(ref.src)) == ["v1.0.0"]


def test_same_content_is_not_committed_twice(tmp_path: Path, factory_home: Path) -> None:
    tpl = _template(tmp_path, "1.0.0")
    publish_to_store(tpl)
    (factory_home / "templates" / "demo.index.json").unlink()  # lost cache: git is the truth
    publish_to_store(tpl)
    log = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=store_path("demo"), capture_output=True, text=True
    )
    assert log.stdout.strip() == "1"


def test_versions_accumulate(tmp_path: Path, factory_home: Path) -> None:
    publish_to_store(_template(tmp_path, "1.0.0"))
    ref = publish_to_store(_template(tmp_path, "1.1.0", "hello again"))
    assert ref.ref == "v1.1.0"
    assert _tags(Path(ref.src)) == ["v1.0.0", "v1.1.0"]
    shown = subprocess.run(
        ["git", "show", "v1.0.0:template/README.md"], cwd=ref.src, capture_output=True, text=True
    )
    assert shown.stdout == "hello"


def test_changed_content_without_version_bump_gets_local_version(tmp_path: Path, factory_home: Path) -> None:
    publish_to_store(_template(tmp_path, "1.0.0"))
    ref = publish_to_store(_template(tmp_path, "1.0.0", "edited"))
    assert ref.ref is not None
    assert ref.ref.startswith("v1.0.0+")
    assert ref.ref != "v1.0.0"


def test_digest_ignores_caches(tmp_path: Path) -> None:
    tpl = _template(tmp_path, "1.0.0")
    before = content_digest(tpl.path)
    (tpl.path / "__pycache__").mkdir()
    (tpl.path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert content_digest(tpl.path) == before
    (tpl.path / "template" / "new.txt").write_text("x", encoding="utf-8")
    assert content_digest(tpl.path) != before


def test_configured_git_server_replaces_the_store(
    tmp_path: Path, factory_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = tmp_path / "server" / "demo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(server)], check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(server), str(work)], check=True)
    for tag in ("v1.0.0", "v1.1.0", "v1.2.0rc1"):
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", tag], cwd=work, check=True)
        subprocess.run(["git", "tag", tag], cwd=work, check=True)
    subprocess.run(["git", "push", "-q", "--tags", "origin", "HEAD"], cwd=work, check=True)
    monkeypatch.setenv("FACTORY_SOURCE_DEMO", server.as_uri())
    ref = resolve_source(_template(tmp_path, "1.0.0"))
    assert (ref.src, ref.ref, ref.version) == (server.as_uri(), "v1.1.0", "1.1.0")  # its newest release
    assert not store_path("demo").exists()


def test_unreachable_git_server_is_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_SOURCE_DEMO", (tmp_path / "missing.git").as_uri())
    with pytest.raises(SourceUnreachableError, match="cannot read the template source") as caught:
        resolve_source(_template(tmp_path, "1.0.0"))
    assert caught.value.exit_code == 5


def test_config_file_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sources]\nservice = "ssh://git@git.bank.example/service.git"\n', encoding="utf-8")
    monkeypatch.setenv("FACTORY_CONFIG", str(config))
    assert configured_source("service") == "ssh://git@git.bank.example/service.git"


def test_relative_source_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_SOURCE_SERVICE", "templates/service")
    with pytest.raises(SourceError, match="relative path"):
        configured_source("service")
