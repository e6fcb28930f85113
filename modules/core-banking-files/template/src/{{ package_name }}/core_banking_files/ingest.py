"""Ingest one export: read its records, validate each, keep the good ones, quarantine the rest.

Formats: ``fixed`` (records of the layout's exact length, no separators: mainframe files, packed
fields), ``lines`` (one fixed-width record a line) and ``csv`` (a header naming the layout's fields).
A file is identified by its SHA-256: the same file twice is reported as already ingested and counts
nothing; a record is identified by its key fields: a key already accepted (from any file) is quarantined
as ``duplicate_record``. Rows are committed in batches with a checkpoint, so a run that crashed resumes
after the last committed row and ends with the same records and quarantine file as an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from prometheus_client import CollectorRegistry, Counter, Histogram

from ..tracing import tracer
from ._ledger import Ledger
from .layout import Field, FieldError, Layout, decode_fixed, is_ebcdic, parse_text_number, text_value

Format = Literal["fixed", "lines", "csv"]
FORMATS: tuple[Format, ...] = ("fixed", "lines", "csv")
Values = dict[str, str | Decimal]


class IngestError(ValueError):
    """The file cannot be ingested at all (unreadable, no header...); the message says what to do."""


@dataclass
class Report:
    """What one run did: rows read, accepted and quarantined by reason (the file's totals)."""

    file: str
    digest: str
    layout: str
    format: str
    encoding: str
    status: str  # ingested, already_ingested
    rows_read: int = 0
    accepted: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    resumed_after_row: int = 0
    quarantine_file: str | None = None
    seconds: float = 0.0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"quarantined_total": self.quarantined_total}

    def text(self) -> str:
        lines = [
            f"{self.file}: {self.status.replace('_', ' ')} ({self.format}, {self.encoding}, layout {self.layout})",
            f"  rows read     {self.rows_read}",
            f"  accepted      {self.accepted}",
            f"  quarantined   {self.quarantined_total}",
        ]
        lines += [f"    {reason:<20} {count}" for reason, count in sorted(self.quarantined.items())]
        if self.resumed_after_row:
            lines.append(f"  resumed after row {self.resumed_after_row} (a previous run stopped there)")
        if self.quarantine_file and self.quarantined_total:
            lines.append(f"  quarantine    {self.quarantine_file}")
        return "\n".join(lines)


class IngestMetrics:
    """Rows by outcome and reason, files by status, ingest time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.rows = Counter(
            "core_banking_rows",
            "Rows ingested by outcome and quarantine reason.",
            ["outcome", "reason"],
            registry=registry,
        )
        self.files = Counter("core_banking_files", "Files by result.", ["status"], registry=registry)
        self.duration = Histogram("core_banking_ingest_seconds", "Time to ingest one file.", registry=registry)


@dataclass(frozen=True)
class _Row:
    number: int  # 1-based record number (fixed) or physical line number (lines, csv)
    raw: bytes
    problem: tuple[str, str] | None = None
    ended: bool = True  # False for a last line without its line separator


def file_digest(path: Path) -> str:
    """The SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_format(path: Path, layout: Layout, encoding: str) -> Format:
    """``csv`` for a .csv file; ``fixed`` for packed fields or EBCDIC; else ``lines``."""
    if path.suffix.lower() == ".csv":
        return "csv"
    return "fixed" if layout.binary or is_ebcdic(encoding) else "lines"


def _fixed_rows(stream: IO[bytes], length: int) -> Iterator[_Row]:
    number = 0
    while chunk := stream.read(length):
        number += 1
        if len(chunk) < length:
            problem = ("truncated_record", f"the file ends inside record {number}: {len(chunk)} of {length} bytes")
            yield _Row(number, chunk, problem)
            return
        yield _Row(number, chunk)


def _lines(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, bytes, bool]]:
    """Physical lines without their separator, and whether each ended with one."""
    newline = "\n".encode(encoding)
    carriage = "\r".encode(encoding)
    pending = b""
    number = 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        pending += chunk
        *complete, pending = pending.split(newline)
        for line in complete:
            number += 1
            yield number, line.removesuffix(carriage), True
    if pending:
        yield number + 1, pending.removesuffix(carriage), False


def _line_rows(stream: IO[bytes], length: int, encoding: str) -> Iterator[_Row]:
    for number, line, ended in _lines(stream, encoding):
        if len(line) < length:
            reason = "short_record" if ended else "truncated_record"
            yield _Row(number, line, (reason, f"{len(line)} bytes, the layout needs {length}"))
        elif len(line) > length:
            yield _Row(number, line, ("long_record", f"{len(line)} bytes, the layout needs {length}"))
        else:
            yield _Row(number, line)


def _csv_header(line: bytes, layout: Layout, encoding: str) -> list[str]:
    try:
        names = next(csv.reader([line.decode(encoding).removeprefix("\ufeff")]))  # a UTF-8 BOM (Excel)
    except (UnicodeDecodeError, StopIteration) as exc:
        raise IngestError(f"cannot read the CSV header in {encoding}: {exc}; is --encoding right?") from exc
    normal = [n.strip().upper().replace("_", "-") for n in names]
    missing = [f.name for f in layout.fields if not f.filler and f.name not in normal]
    if missing:
        msg = f"the CSV header lacks the layout's fields {missing} (header: {names}); is --layout right?"
        raise IngestError(msg)
    return normal


def _csv_values(line: bytes, header: list[str], fields: Sequence[Field], encoding: str) -> Values:
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FieldError("bad_encoding", f"byte {exc.start}: not {encoding}") from None
    cells = next(csv.reader([text]), [])
    if len(cells) != len(header):
        raise FieldError("wrong_column_count", f"{len(cells)} columns, the header has {len(header)}")
    by_name = dict(zip(header, cells, strict=True))
    values: Values = {}
    for f in fields:
        cell = by_name[f.name]
        if f.kind == "text":
            if len(cell) > f.digits:
                raise FieldError("out_of_range", f"{f.name}: {len(cell)} characters, PIC X({f.digits})")
            values[f.name] = text_value(cell, f)
        else:
            values[f.name] = parse_text_number(cell, f)
    return values


class Ingest:
    """One file's ingest, resumable: construct, then :meth:`run`."""

    def __init__(
        self,
        path: Path,
        layout: Layout,
        ledger: Ledger,
        quarantine_dir: Path,
        *,
        encoding: str,
        fmt: Format | None = None,
        key_fields: Sequence[str] = (),
        checkpoint_rows: int = 1000,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self.path = path
        self.layout = layout
        self.ledger = ledger
        self.quarantine_dir = quarantine_dir
        self.encoding = encoding
        self.format: Format = fmt or default_format(path, layout, encoding)
        self.fields = [f for f in layout.fields if not f.filler]
        self.keys = [layout.field(name).name for name in key_fields] or [self.fields[0].name]
        self.checkpoint_rows = checkpoint_rows
        self.metrics = metrics or IngestMetrics(CollectorRegistry())

    def run(self) -> Report:
        started = time.perf_counter()
        try:
            digest = file_digest(self.path)
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        attributes = {"format": self.format, "encoding": self.encoding, "layout": self.layout.name}
        with tracer.start_as_current_span("core_banking.ingest", attributes=attributes) as span:
            entry = self.ledger.begin(digest, self.path.name, self.layout.name)
            quarantine = self.quarantine_dir / f"{self.path.name}.{digest[:12]}.quarantine.jsonl"
            report = Report(
                str(self.path),
                digest,
                self.layout.name,
                self.format,
                self.encoding,
                "ingested",
                rows_read=entry.rows_read,
                accepted=entry.accepted,
                quarantined=dict(entry.quarantined),
                resumed_after_row=entry.rows_read,
                quarantine_file=str(quarantine),
            )
            if entry.status == "complete":
                report.status, report.resumed_after_row = "already_ingested", 0
                self.metrics.files.labels("already_ingested").inc()
            else:
                self._ingest(report, quarantine, entry.quarantine_bytes)
                self.metrics.files.labels("ingested").inc()
            span.set_attribute("status", report.status)
            span.set_attribute("rows_read", report.rows_read)
            span.set_attribute("quarantined", report.quarantined_total)
        report.seconds = round(time.perf_counter() - started, 3)
        self.metrics.duration.observe(report.seconds)
        return report

    def _rows(self, stream: IO[bytes]) -> Iterator[_Row]:
        length = self.layout.record_length
        if self.format == "fixed":
            return _fixed_rows(stream, length)
        if self.format == "lines":
            return _line_rows(stream, length, self.encoding)
        return (_Row(n, line, ended=ended) for n, line, ended in _lines(stream, self.encoding))

    def _values(self, row: _Row, header: list[str]) -> Values:
        if row.problem is not None:
            raise FieldError(*row.problem)
        if self.format == "csv":
            try:
                return _csv_values(row.raw, header, self.fields, self.encoding)
            except FieldError as exc:
                if exc.reason == "wrong_column_count" and not row.ended:
                    raise FieldError("truncated_record", f"the file ends inside this line: {exc}") from None
                raise
        return decode_fixed(row.raw, self.layout, self.encoding)

    def _ingest(self, report: Report, quarantine: Path, quarantine_bytes: int) -> None:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        kept = quarantine.stat().st_size if quarantine.exists() else 0
        if kept < quarantine_bytes:
            msg = (
                f"{quarantine} holds {kept} bytes but the interrupted run had committed {quarantine_bytes}: "
                "restore it from backup before resuming (its rows are not read again)"
            )
            raise IngestError(msg)
        with self.path.open("rb") as stream, quarantine.open("ab") as bad:
            bad.truncate(quarantine_bytes)  # lines written after the last commit are written again
            bad.seek(quarantine_bytes)
            header: list[str] = []
            batch: list[tuple[str, _Row, Values]] = []
            batch_keys: set[str] = set()
            last = report.rows_read
            for row in self._rows(stream):
                if self.format == "csv" and not header:
                    header = _csv_header(row.raw, self.layout, self.encoding)
                    continue
                if row.number <= report.rows_read:
                    continue  # committed by an earlier run
                if self.format == "csv" and not row.raw.strip():
                    last = row.number
                    continue
                try:
                    values = self._values(row, header)
                    key = self._key(values)
                    if key in batch_keys:
                        raise FieldError("duplicate_record", f"key {key} appears earlier in this file")
                    batch.append((key, row, values))
                    batch_keys.add(key)
                except FieldError as exc:
                    self._quarantine(bad, report, row, exc.reason, str(exc))
                last = row.number
                if last - report.rows_read >= self.checkpoint_rows:
                    self._commit(report, bad, batch, last)
                    batch, batch_keys = [], set()
            if self.format == "csv" and not header:
                raise IngestError(f"{self.path} is empty: a CSV export starts with a header line")
            self._commit(report, bad, batch, last, finished=True)

    def _key(self, values: Values) -> str:
        parts = [str(values[name]).strip() for name in self.keys]
        if not all(parts):
            raise FieldError("missing_key", f"empty key field(s) {self.keys}")
        return f"{self.layout.name}:" + "|".join(parts)

    def _quarantine(self, bad: IO[bytes], report: Report, row: _Row, reason: str, detail: str) -> None:
        entry: dict[str, Any] = {"line": row.number, "reason": reason, "detail": detail}
        if self.format == "fixed":
            entry["offset"] = (row.number - 1) * self.layout.record_length
        entry["raw"] = row.raw.decode(self.encoding, errors="replace")
        entry["raw_hex"] = row.raw.hex()
        bad.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        report.quarantined[reason] = report.quarantined.get(reason, 0) + 1
        self.metrics.rows.labels("quarantined", reason).inc()

    def _commit(
        self,
        report: Report,
        bad: IO[bytes],
        batch: list[tuple[str, _Row, Values]],
        last: int,
        *,
        finished: bool = False,
    ) -> None:
        with tracer.start_as_current_span("core_banking.commit", attributes={"rows": len(batch)}):
            known = self.ledger.known_keys([key for key, _, _ in batch])
            accepted = []
            for key, row, values in batch:
                if key in known:
                    detail = f"key {key} was accepted before (this file or an earlier one)"
                    self._quarantine(bad, report, row, "duplicate_record", detail)
                else:
                    accepted.append((key, row.number, dict[str, Any](values)))
            bad.flush()
            os.fsync(bad.fileno())
            report.rows_read = last
            self.ledger.commit(
                report.digest,
                accepted,
                rows_read=last,
                quarantined=report.quarantined,
                quarantine_bytes=bad.tell(),
                finished=finished,
            )
        report.accepted += len(accepted)
        self.metrics.rows.labels("accepted", "").inc(len(accepted))
