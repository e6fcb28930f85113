"""Group commit: one background thread turns the records queued by concurrent requests into one transaction.

Each request waits only for its own record's future; while one transaction is being synced to disk,
the records that arrive queue up and go together in the next one. One fsync then serves many
requests, which is what keeps a durable trail fast.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ._chain import AuditRecord


@dataclass(frozen=True)
class Pending:
    """A record waiting for the writer, with the future its caller waits on."""

    record_id: str
    kind: str
    body: Mapping[str, Any]
    body_text: str  # canonical JSON, made in the caller's thread so the writer only chains
    body_sha256: str
    future: Future[AuditRecord] = field(default_factory=Future)


Commit = Callable[[Sequence[Pending]], Sequence[AuditRecord]]


class GroupCommitWriter:
    """Drains a queue in batches of up to ``max_batch`` and hands each batch to ``commit``."""

    def __init__(self, commit: Commit, *, max_batch: int = 512, delay: float = 0.002) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._delay = delay
        self._busy = False  # records arrived while the last commit was being synced
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, pending: Pending) -> Future[AuditRecord]:
        """Queue ``pending``; its future completes once the batch holding it is committed."""
        if not self._thread.is_alive():
            pending.future.set_exception(RuntimeError("the audit writer is stopped"))
        else:
            self._queue.put(pending)
        return pending.future

    def close(self) -> None:
        """Commit everything queued so far, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._drain(first)
            self._write(batch)
            if stop:
                return

    def _drain(self, first: Pending) -> tuple[list[Pending], bool]:
        """Take what is queued; when records arrived during the last commit, wait up to ``delay`` for more.

        A lone or sequential caller is committed at once; under concurrent load a little latency buys
        far fewer commits, each one synced to disk (as PostgreSQL's ``commit_delay``).
        """
        batch = [first]
        deadline = time.monotonic() + (self._delay if self._busy else 0.0)
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, queued: list[Pending]) -> None:
        batch = [p for p in queued if p.future.set_running_or_notify_cancel()]  # a caller gave up: skip it
        if not batch:
            return
        try:
            records = self._commit(batch)
        except Exception as exc:  # every waiter must learn that its record was not written
            for pending in batch:
                pending.future.set_exception(exc)
            return
        finally:
            self._busy = not self._queue.empty()
        for pending, record in zip(batch, records, strict=True):
            pending.future.set_result(record)
