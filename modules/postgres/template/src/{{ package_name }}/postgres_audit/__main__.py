"""``python -m <package>.postgres_audit migrate|revision|witness-setup``: the audit schema and the witness table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from ._engine import DatabaseError, where
from ._migrate import head_revision, migrate, schema_revision
from ._settings import ENV, PostgresSettings
from ._witness import setup_witness


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}", description=f"Migrations of the PostgreSQL audit schema ({ENV}* settings)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("migrate", help="Create the schema if needed and upgrade it (safe to run concurrently).")
    up.add_argument("--revision", default="head", help="Target revision (default: head).")
    commands.add_parser("revision", help="Show the schema's revision and the one this code needs; 1 if they differ.")
    witness = commands.add_parser(
        "witness-setup", help=f"As the owner of the {ENV}WITNESS_URL database: the append-only witness table."
    )
    witness.add_argument("--writer", required=True, help="The role the service connects as (INSERT and SELECT only).")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one line on stderr with exit code 1."""
    args = _parser().parse_args(argv)
    try:
        settings = PostgresSettings()
        if args.command == "witness-setup":
            print(setup_witness(settings, args.writer))  # noqa: T201
            return 0
        if args.command == "migrate":
            reached = migrate(settings, args.revision)
            print(f"{where(settings)} is at revision {reached}")  # noqa: T201
            return 0
        current, head = schema_revision(settings), head_revision()
        print(f"{where(settings)}: revision {current or '(none)'}, this code needs {head}")  # noqa: T201
    except (DatabaseError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return 0 if current == head else 1


if __name__ == "__main__":
    sys.exit(main())
