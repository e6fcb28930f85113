"""An audit store whose chain heads are signed and handed to a witness as records are committed.

:class:`WitnessedStore` wraps any :class:`~._store.AuditStore` (SQLite, or the one a module provides),
so every store is anchored the same way: a background thread signs the newest committed record and
appends it to the witness every ``every_records`` records or ``every_seconds`` seconds (whichever
comes first), and once more when the store closes. Requests never wait for the witness.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..logs import get_logger
from ._chain import AuditRecord
from ._store import AuditError, AuditStore, Checkpoint, StoreWrapper
from ._witness import FileWitness, Witness, WitnessKey, create_key, load_key, public_keys_path

if TYPE_CHECKING:
    from ..settings import Settings

log = get_logger(__name__)

WitnessFactory = Callable[["Settings"], Witness]


class WitnessedStore(StoreWrapper):
    """:class:`~._store.AuditStore` that anchors ``store``'s chain in ``witness`` with heads signed by ``key``."""

    def __init__(
        self, store: AuditStore, witness: Witness, key: WitnessKey, *, every_records: int, every_seconds: float
    ) -> None:
        super().__init__(store)
        self.witness = witness
        self._key = key
        self._every_records = every_records
        self._every_seconds = every_seconds
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._newest: AuditRecord | Checkpoint | None = store.checkpoint()  # the head found at opening
        self._witnessed = 0  # size of the last head this process witnessed
        self.key_created = False  # the key was created on this opening (the service logs it)
        self.witness_now()  # raises AuditError: a store that cannot be anchored is not opened
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-witness", daemon=True)
        self._thread.start()

    def witness_now(self) -> None:
        """Sign the newest record committed through this store and append it, if not witnessed yet."""
        with self._writing:  # one head at a time; commits go on meanwhile (they take only self._lock)
            with self._lock:
                newest = self._newest
            if newest is None or newest.seq <= self._witnessed:
                return
            record_id = newest.id if isinstance(newest, AuditRecord) else newest.record_id
            head_hash = newest.hash if isinstance(newest, AuditRecord) else newest.head_hash
            try:
                self.witness.append(self._key.sign(newest.seq, record_id, head_hash))
            except OSError as exc:
                raise AuditError(f"cannot write to the witness at {self.witness.where}: {exc}") from exc
            with self._lock:
                self._witnessed = newest.seq

    def submit(self, kind: str, body: Mapping[str, Any]) -> Future[AuditRecord]:
        """Queue a record; once committed it becomes the head the next witnessing signs."""
        future = self.store.submit(kind, body)
        future.add_done_callback(self._committed)
        return future

    def _committed(self, future: Future[AuditRecord]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        record = future.result()
        with self._lock:
            if self._newest is None or record.seq > self._newest.seq:
                self._newest = record
            # a brand-new trail gets its first head at once: verify refuses records with no head at all
            if self._witnessed == 0 or record.seq - self._witnessed >= self._every_records:
                self._due.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._due.wait(self._every_seconds)
            self._due.clear()
            try:
                self.witness_now()
            except AuditError as exc:  # retried next time; the unwitnessed window grows meanwhile
                log.error("audit_witness_failed", reason=str(exc))

    def close(self) -> None:
        """Commit what is queued, witness the final head, then close the store."""
        self._stopping.set()
        self._due.set()
        self._thread.join()
        self.store.close()  # the writer drains: every committed record has passed through _committed
        try:
            self.witness_now()
        except AuditError as exc:
            log.error("audit_witness_failed", reason=str(exc))
        finally:
            self.witness.close()


def file_witness(settings: Settings) -> Witness:
    """The default witness: the append-only file ``audit_witness_path``."""
    witness = FileWitness(settings.audit_witness_path)
    try:
        witness.create()
    except OSError as exc:
        raise AuditError(f"cannot create the witness at {witness.path}: {exc}") from exc
    return witness


def open_witnessed(store: AuditStore, settings: Settings, witness: WitnessFactory | None = None) -> AuditStore:
    """``store`` anchored in its witness (``witness``, default the file), or as is when witnessing is off.

    On the very first start (no key, no head witnessed yet) the key is created; a missing key once heads
    exist is an error, since heads signed with a new key cannot vouch for the old ones.
    """
    if not settings.audit_witness_enabled:
        return store
    chosen: Witness | None = None
    try:
        chosen = (witness or file_witness)(settings)
        key, created = _key(settings, chosen)
        witnessed = WitnessedStore(
            store,
            chosen,
            key,
            every_records=settings.audit_witness_every_records,
            every_seconds=settings.audit_witness_every_seconds,
        )
        witnessed.key_created = created
    except BaseException:
        store.close()
        if chosen is not None:
            chosen.close()
        raise
    return witnessed


def _key(settings: Settings, witness: Witness) -> tuple[WitnessKey, bool]:
    """The signing key, and whether it was created just now."""
    path = settings.audit_witness_key_path
    created = False
    if not path.exists() and not witness.heads():
        try:
            create_key(path, settings.audit_witness_public_keys_path or public_keys_path(path))
            created = True
        except OSError as exc:
            raise AuditError(f"cannot create the witness key at {path}: {exc}") from exc
        except AuditError:  # another worker created it first
            if not path.exists():
                raise
    return load_key(path), created
