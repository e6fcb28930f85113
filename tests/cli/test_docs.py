import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_cli_reference_is_current(tmp_path: Path) -> None:
    """docs/cli.md is generated from the Typer app; regenerate it with the command in its header."""
    out = tmp_path / "cli.md"
    typer = Path(sys.executable).with_name("typer")
    subprocess.run(
        [str(typer), "generator.cli", "utils", "docs", "--name", "factory", "--output", str(out)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    assert (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == out.read_text(encoding="utf-8"), (
        "docs/cli.md is stale: run `typer generator.cli utils docs --name factory --output docs/cli.md`"
    )


def test_docs_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page is in the nav and every link and anchor resolves."""
    mkdocs = Path(sys.executable).with_name("mkdocs")
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "site" / "authoring-modules" / "index.html").is_file()
