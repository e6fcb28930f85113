"""The project's command line: ``serve``, ``train`` and ``version``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from . import __version__
from ._meta import PROJECT_NAME


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROJECT_NAME, description="Credit-risk scoring service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Run the HTTP service (settings from the environment).")
    serve.add_argument("--host", help="Override the configured interface.")
    serve.add_argument("--port", type=int, help="Override the configured port.")
    train = commands.add_parser("train", help="Train the model and write the artifact and its metadata.")
    train.add_argument("--output-dir", type=Path, default=Path("models"), help="Where to write (default: models).")
    commands.add_parser("version", help="Print the version.")
    return parser


def _serve(host: str | None, port: int | None) -> int:
    import uvicorn  # only `serve` needs the server: imported here to keep `version` instant

    from .app import create_app
    from .settings import Settings

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def _train(output_dir: Path) -> int:
    from .model.train import train  # training code is not needed to serve

    result = train(output_dir)
    print(f"wrote {result.artifact} (sha256 {result.sha256})")  # noqa: T201
    print(f"held-out metrics: {result.metrics}")  # noqa: T201
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; user errors print one line on stderr and exit 1 (2 for usage errors)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args.host, args.port)
        if args.command == "train":
            return _train(args.output_dir)
        print(f"{PROJECT_NAME} {__version__}")  # noqa: T201
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)  # noqa: T201
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
