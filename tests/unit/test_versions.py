"""The newest version tag of a git source, chosen exactly as copier chooses it (so `factory status` and
`factory update` agree with a plain `copier update`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from generator import _git
from generator._versions import newest_tag

TAG_SETS = [
    ["v1.0.0", "v1.2.0", "v1.10.0", "v1.9.3"],  # numeric, not lexical, order
    ["v1.0.0", "v2.0.0rc1", "v2.0.0.dev3", "v1.1.0"],  # pre-releases and dev releases are skipped
    [
        "v1.3.0",
        "v1.3.0+4f2a9c0d1e2b",
        "stable",
        "latest",
    ],  # a local build is newer; names that are not versions are ignored
    ["1.0.0", "v0.9.0", "release-2"],  # with and without the v
]


@pytest.mark.parametrize("tags", TAG_SETS)
def test_newest_tag_is_copiers_latest_tag(tags: list[str], tmp_path: Path) -> None:
    from copier._vcs import get_latest_tag  # copier's own choice is the reference

    repo = tmp_path / "source"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "one"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    for tag in tags:
        subprocess.run(["git", "tag", tag], cwd=repo, check=True)
    listed = _git.remote_tags(str(repo))
    assert sorted(listed) == sorted(tags)
    assert newest_tag(listed) == get_latest_tag(str(repo))


def test_no_version_tag_gives_none() -> None:
    assert newest_tag(["stable", "v2.0.0rc1"]) is None
