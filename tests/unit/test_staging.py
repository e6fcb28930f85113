from pathlib import Path

import pytest

from generator._staging import staged
from generator.errors import TargetExistsError


def test_success_moves_into_place(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    with staged(target) as stage:
        stage.mkdir()
        (stage / "a.txt").write_text("a", encoding="utf-8")
        assert not target.exists()
    assert (target / "a.txt").read_text(encoding="utf-8") == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]


def test_empty_existing_folder_is_accepted(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    target.mkdir()
    with staged(target) as stage:
        stage.mkdir()
        (stage / "a.txt").write_text("a", encoding="utf-8")
    assert (target / "a.txt").is_file()


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_or_ctrl_c_leaves_nothing(tmp_path: Path, exc: BaseException) -> None:
    target = tmp_path / "proj"
    with pytest.raises(type(exc)), staged(target) as stage:
        stage.mkdir()
        (stage / "half.txt").write_text("half", encoding="utf-8")
        raise exc
    assert list(tmp_path.iterdir()) == []


def test_non_empty_target_refused_and_untouched(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    target.mkdir()
    (target / "mine.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(TargetExistsError), staged(target):
        pass
    assert (target / "mine.txt").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]


def test_target_created_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    with pytest.raises(TargetExistsError), staged(target) as stage:
        stage.mkdir()
        target.mkdir()
        (target / "other.txt").write_text("someone else", encoding="utf-8")
    assert (target / "other.txt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]
