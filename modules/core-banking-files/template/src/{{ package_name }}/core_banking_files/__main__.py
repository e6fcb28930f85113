"""``python -m <package>.core_banking_files``: ingest a core-banking export, or list what was ingested.

    python -m <package>.core_banking_files ingest FILE --layout LAYOUT [--format fixed|lines|csv]
        [--encoding cp037] [--key FIELD ...] [--report report.json] [--metrics-file core-banking.prom]
    python -m <package>.core_banking_files status

Exit codes: 0 every row accepted (or the file was already ingested), 1 some rows quarantined, 2 the
file, layout or settings cannot be used (one line says why and what to do).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, write_to_textfile
from pydantic import ValidationError

from .._meta import PACKAGE_NAME
from ..tracing import configure_tracing
from ._ledger import Ledger, LedgerError
from .ingest import FORMATS, Ingest, IngestError, IngestMetrics
from .layout import LayoutError, load_layout
from .settings import CoreBankingFilesSettings, check_encoding


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE_NAME}.core_banking_files", description="Ingest core-banking exports."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="Ingest one export: validate, keep, quarantine, report.")
    ingest.add_argument("file", type=Path, help="The export (fixed-width records or CSV).")
    ingest.add_argument("--layout", type=Path, required=True, help="Copybook-like layout file of its records.")
    ingest.add_argument(
        "--format", choices=FORMATS, help="Default: csv for .csv, fixed for packed or EBCDIC, else lines."
    )
    ingest.add_argument("--encoding", help="cp037, cp500, cp1140 (EBCDIC), cp1252, latin-1, ascii, utf-8.")
    ingest.add_argument("--key", action="append", default=[], help="Key field (repeatable); default: the first.")
    ingest.add_argument("--report", type=Path, help="Also write the report here as JSON.")
    ingest.add_argument("--metrics-file", type=Path, help="Write the run's metrics here (Prometheus textfile).")
    commands.add_parser("status", help="Files in the ledger: status and counts.")
    return parser


def _ingest(args: argparse.Namespace, settings: CoreBankingFilesSettings) -> int:
    layout = load_layout(args.layout)
    encoding = check_encoding(args.encoding) if args.encoding else settings.encoding
    registry = CollectorRegistry()
    ledger = Ledger(settings.ledger_path)
    try:
        report = Ingest(
            args.file,
            layout,
            ledger,
            settings.quarantine_dir,
            encoding=encoding,
            fmt=args.format,
            key_fields=args.key,
            checkpoint_rows=settings.checkpoint_rows,
            metrics=IngestMetrics(registry),
        ).run()
    finally:
        ledger.close()
    print(report.text())  # noqa: T201 (the CLI's output)
    if args.report is not None:
        args.report.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.metrics_file is not None:
        write_to_textfile(str(args.metrics_file), registry)
    return 1 if report.status == "ingested" and report.quarantined_total else 0


def _status(settings: CoreBankingFilesSettings) -> int:
    ledger = Ledger(settings.ledger_path)
    try:
        for entry in ledger.files():
            bad = sum(entry.quarantined.values())
            print(  # noqa: T201
                f"{entry.status:<12} {entry.name}  {entry.digest[:12]}  read {entry.rows_read}  "
                f"accepted {entry.accepted}  quarantined {bad}  ({entry.layout}, {entry.started_at})"
            )
    finally:
        ledger.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = CoreBankingFilesSettings()
        configure_tracing()
        if args.command == "status":
            return _status(settings)
        return _ingest(args, settings)
    except ValidationError as exc:
        error = exc.errors()[0]
        print(f"error: setting {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)  # noqa: T201 (the CLI's output)
    except (LayoutError, LedgerError, IngestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 (the CLI's output)
    return 2


if __name__ == "__main__":
    sys.exit(main())
