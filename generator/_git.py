"""Every git subprocess the factory runs (the only module that imports :mod:`subprocess`)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import SourceError, SourceUnreachableError

# An identity for commits the factory makes itself (version store, first commit of a project)
# when the user has none configured; user config wins when present.
_FALLBACK_IDENTITY = ("factory", "factory@localhost")


def run(args: Sequence[str], cwd: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd`` and return the finished process (text mode, output captured)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise SourceError("git is not installed", "Install git (e.g. `apt-get install git`).") from exc
    if check and proc.returncode != 0:
        raise SourceError(
            f"git {' '.join(args[:2])} failed in {cwd}: {proc.stderr.strip() or proc.stdout.strip()}",
            "Check that the folder is a healthy git repository.",
        )
    return proc


def init_and_commit(path: Path, message: str) -> None:
    """Make ``path`` a git repository whose first commit holds every file in it."""
    run(["init", "-q", "-b", "main"], path)
    run(["add", "-A"], path)
    commit(path, message)


def commit(path: Path, message: str) -> None:
    """Commit the index (unsigned, hooks skipped); a fallback identity is used only if the user has none."""
    args = ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message]
    proc = run(args, path, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:  # "Please tell me who you are"
        name, email = _FALLBACK_IDENTITY
        proc = run(["-c", f"user.name={name}", "-c", f"user.email={email}", *args], path, check=False)
    if proc.returncode != 0:
        raise SourceError(
            f"git commit failed in {path}: {proc.stderr.strip()}", "Check your git configuration."
        )


def has_staged_changes(path: Path) -> bool:
    """Whether the index differs from HEAD (always true in a repository without commits)."""
    if run(["rev-parse", "-q", "--verify", "HEAD"], path, check=False).returncode != 0:
        return True
    return run(["diff", "--cached", "--quiet"], path, check=False).returncode != 0


def is_repo(path: Path) -> bool:
    """Whether ``path`` is inside a git work tree."""
    proc = run(["rev-parse", "--is-inside-work-tree"], path, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def status_porcelain(path: Path) -> list[tuple[str, str]]:
    """``git status --porcelain`` as (two-letter code, path) pairs, untracked files listed one by one."""
    proc = run(["status", "--porcelain", "--untracked-files=all", "-z"], path)
    entries: list[tuple[str, str]] = []
    parts = proc.stdout.split("\0")
    i = 0
    while i < len(parts):
        item = parts[i]
        i += 1
        if not item:
            continue
        code, name = item[:2], item[3:]
        if code[0] in "RC":  # a rename is followed by its source path
            i += 1
        entries.append((code, name))
    return entries


def list_files(path: Path) -> list[str]:
    """Tracked and untracked files of the work tree, without those git ignores."""
    proc = run(["ls-files", "--cached", "--others", "--exclude-standard", "-z"], path)
    return sorted({name for name in proc.stdout.split("\0") if name})


def unmerged_paths(path: Path) -> list[str]:
    """Paths git records as unmerged (conflicted) in the index."""
    proc = run(["ls-files", "-u", "-z"], path)
    names = {line.split("\t", 1)[1] for line in proc.stdout.split("\0") if "\t" in line}
    return sorted(names)


def show_file(path: Path, rev: str, name: str) -> bytes | None:
    """The bytes of ``name`` at ``rev``, or ``None`` when it is not there."""
    proc = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=path, capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def tag_exists(path: Path, tag: str) -> bool:
    """Whether ``refs/tags/TAG`` exists in the repository at ``path``."""
    return run(["rev-parse", "-q", "--verify", f"refs/tags/{tag}"], path, check=False).returncode == 0


def tree_of(path: Path, rev: str) -> str:
    """The tree id of ``rev``."""
    return run(["rev-parse", f"{rev}^{{tree}}"], path).stdout.strip()


def tag(path: Path, name: str) -> None:
    """Create a lightweight tag at HEAD."""
    run(["-c", "tag.gpgsign=false", "tag", name], path)


def clone(src: str, dst: Path) -> None:
    """Clone ``src`` (a path or URL) into ``dst``."""
    run(["clone", "-q", src, str(dst)], dst.parent)


def remote_tags(src: str) -> list[str]:
    """The tag names of the git repository ``src`` (a URL or a path), as ``git ls-remote`` lists them.

    Raises :class:`SourceUnreachableError` when ``src`` cannot be reached or is not a git repository.
    """
    proc = run(["ls-remote", "--tags", "--refs", "--", src], Path(tempfile.gettempdir()), check=False)
    if proc.returncode != 0:
        raise _unreachable(src, proc)
    return [
        line.split("\t", 1)[1].removeprefix("refs/tags/") for line in proc.stdout.splitlines() if "\t" in line
    ]


def remote_file(src: str, ref: str, name: str) -> bytes | None:
    """The bytes of ``name`` at ``ref`` (a tag or branch) of the repository ``src``, or ``None``.

    Fetches that one commit into a scratch repository (``git archive --remote`` is refused by HTTP servers).
    """
    with tempfile.TemporaryDirectory(prefix="factory-fetch-") as tmp:
        scratch = Path(tmp)
        run(["init", "-q", "--bare"], scratch)
        proc = run(["fetch", "-q", "--depth", "1", "--", src, ref], scratch, check=False)
        if proc.returncode != 0:
            raise _unreachable(src, proc)
        return show_file(scratch, "FETCH_HEAD", name)


def _unreachable(src: str, proc: subprocess.CompletedProcess[str]) -> SourceUnreachableError:
    reason = next((line for line in proc.stderr.splitlines() if line.strip()), "git failed")
    return SourceUnreachableError(
        f"cannot read the template source {src}: {reason.removeprefix('fatal: ').strip()}",
        "Point FACTORY_SOURCE_<NAME> (or _src_path in the project's .copier-answers.yml) at a git "
        "repository of the template you can reach: your team's template server, or a copy of it.",
    )
