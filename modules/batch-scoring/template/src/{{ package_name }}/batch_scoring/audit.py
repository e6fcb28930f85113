"""Writing one audit record per scored row, in application-id order, through the service's audit store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..audit import AuditRecord, AuditStore, SqliteAuditStore
from ..decisions import DECISION
from ..integrations import IntegrationContext, audit_store_factory, discover
from ..metrics import Metrics
from ..settings import Settings
from .errors import BatchScoringError


@dataclass(frozen=True)
class AuditSummary:
    """What the job appended to the trail, and the trail's state when it was verified afterwards."""

    count: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str
    trail_records: int


def open_store(settings: Settings) -> AuditStore:
    """The trail the service writes to: the store an integration module provides, else the SQLite file."""
    open_provided = audit_store_factory(discover(IntegrationContext(settings, Metrics())))
    if open_provided is not None:
        return open_provided(settings)
    return SqliteAuditStore(settings.audit_path, checkpoint_interval=settings.audit_checkpoint_interval)


def append_all(store: AuditStore, bodies: Iterable[Mapping[str, Any]], batch_rows: int) -> AuditSummary:
    """Submit the records in order, ``batch_rows`` at a time, waiting for each batch to be durably committed;
    then verify the whole chain. Raises :class:`BatchScoringError` naming how many records were written."""
    count, first, last = 0, None, None
    for chunk in _chunks(iter(bodies), batch_rows):
        futures = [store.submit(DECISION, body) for body in chunk]
        records = _wait(futures, count)
        first = first or records[0]
        last = records[-1]
        count += len(records)
    verification = store.verify()
    if not verification.ok:
        raise BatchScoringError(f"the audit trail does not verify after the batch: {verification.broken}")
    return AuditSummary(
        count,
        None if first is None else first.seq,
        None if last is None else last.seq,
        verification.head_hash,
        verification.records,
    )


def _wait(futures: list[Future[AuditRecord]], written: int) -> list[AuditRecord]:
    try:
        return [future.result() for future in futures]
    except Exception as exc:  # any store failure: the rows from here on are not audited
        msg = (
            f"the audit trail refused a write after at least {written} record(s) of this run were committed: {exc}; "
            "the results are not audited: fix the trail and score the input again (a new run id)"
        )
        raise BatchScoringError(msg) from exc


def _chunks(items: Iterator[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    while chunk := list(islice(items, size)):
        yield chunk
