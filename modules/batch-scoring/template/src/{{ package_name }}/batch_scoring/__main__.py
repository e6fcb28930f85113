"""``python -m <package>.batch_scoring``: generate an input data set, or score one on Spark.

Settings come from the environment: the service's (``<PREFIX>MODEL_PATH``, thresholds, audit trail) and
this module's (``<PREFIX>BATCH_SCORING_MASTER``, ...). User errors print one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from .._meta import PACKAGE_NAME


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE_NAME}.batch_scoring", description="Score a Parquet data set on Apache Spark."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="Write a synthetic input data set (the service's generator).")
    generate.add_argument("--output", type=Path, required=True, help="Folder for the Parquet part files (new).")
    generate.add_argument("--rows", type=int, default=10_000, help="Applications to generate (default: 10000).")
    generate.add_argument("--seed", type=int, default=7, help="Random seed (default: 7).")
    generate.add_argument("--partitions", type=int, default=8, help="Part files to write (default: 8).")
    score = commands.add_parser("score", help="Score, write partitioned Parquet and audit every row.")
    score.add_argument("--input", type=Path, required=True, help="Parquet data set (a folder or a file).")
    score.add_argument("--output", type=Path, required=True, help="Folder for the results (must not exist).")
    score.add_argument("--master", help="Spark master (default: the configured one, local[2]).")
    return parser


def _generate(args: argparse.Namespace) -> int:
    from .data import generate_input

    files = generate_input(args.output, args.rows, args.seed, args.partitions)
    print(f"wrote {args.rows} applications in {len(files)} Parquet file(s) to {args.output}")  # noqa: T201
    return 0


def _score(args: argparse.Namespace) -> int:
    from ..settings import Settings
    from .job import score_dataset
    from .settings import BatchScoringSettings
    from .spark import spark_session

    overrides = {"master": args.master} if args.master else {}
    batch = BatchScoringSettings(**overrides)
    settings = Settings()
    with spark_session(batch) as spark:
        report = score_dataset(spark, args.input, args.output, settings, batch)
    decisions = ", ".join(f"{name} {count}" for name, count in report.decisions.items())
    print(f"scored {report.rows} rows in {report.score_seconds:.1f}s ({decisions}) into {report.output}")  # noqa: T201
    if report.audit is None:
        print("audit trail disabled by configuration: no audit records written")  # noqa: T201
    else:
        audit = report.audit
        print(  # noqa: T201
            f"audited {audit.count} decisions (records {audit.first_seq}..{audit.last_seq}) in "
            f"{report.audit_seconds:.1f}s; trail verified: {audit.trail_records} records, head {audit.head_hash}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user error prints one line on stderr and returns 1."""
    from ..model import ModelLoadError
    from .errors import BatchScoringError

    args = _parser().parse_args(argv)
    try:
        return _generate(args) if args.command == "generate" else _score(args)
    except (BatchScoringError, ModelLoadError, ValidationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1


if __name__ == "__main__":
    sys.exit(main())
