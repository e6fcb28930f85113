from pathlib import Path

import pytest

from generator._catalog import find_templates, get_template
from generator._manifest import load_template_manifest
from generator.errors import ManifestError, UnknownTemplateError


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_valid_manifest(tmp_path: Path) -> None:
    info = load_template_manifest(_write(tmp_path, '[template]\nname="svc"\nversion="1.2.0"\nsummary="S"\n'))
    assert info.template.version == "1.2.0"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[template]\nname="svc"\nversion="1.0"\nsummary="S"\nverison="2"\n', "did you mean 'version'"),
        ('[template]\nname="svc"\nversion="one"\nsummary="S"\n', "PEP 440"),
        ('[template]\nname="Svc"\nversion="1.0"\nsummary="S"\n', "template.name"),
        ("[template\n", "cannot read manifest"),
    ],
)
def test_invalid_manifest_names_file_and_field(tmp_path: Path, body: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_template_manifest(_write(tmp_path, body))
    assert str(tmp_path) in info.value.message
    assert fragment in info.value.message


def test_bundled_service_template_is_found() -> None:
    service = find_templates()["service"]
    assert (service.path / "copier.yml").is_file()
    assert service.version


def test_unknown_template_suggests_close_name() -> None:
    with pytest.raises(UnknownTemplateError) as info:
        get_template("servise")
    assert "service" in info.value.hint


def _override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder_name: str) -> None:
    """A template manifest named "service" 9.0.0 in ``folder_name``, searched before the bundled ones."""
    folder = tmp_path / folder_name
    folder.mkdir()
    (folder / "template.toml").write_text(
        '[template]\nname="service"\nversion="9.0.0"\nsummary="mine"\n', encoding="utf-8"
    )
    monkeypatch.setenv("FACTORY_TEMPLATES_PATH", str(tmp_path))


def test_override_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _override(tmp_path, monkeypatch, "service")
    assert get_template("service").version == "9.0.0"


def test_folder_and_name_must_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _override(tmp_path, monkeypatch, "other")
    with pytest.raises(ManifestError, match="differs from its folder"):
        find_templates()
