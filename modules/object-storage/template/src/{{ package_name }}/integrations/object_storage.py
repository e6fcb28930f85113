"""Object storage (added by the object-storage module): readiness check, call metrics and the model fetch.

Settings are ``<PREFIX>OBJECT_STORAGE_*`` (see ``object_storage/_settings.py``). The check asks the bucket
(HeadBucket) and joins ``/readyz``; with ``MODEL_KEY`` set, the ``prepare`` hook downloads the model artifact to
the service's model path, verified against the shipped metadata, before the service loads it. With
``WITNESS_PREFIX`` set, the signed chain heads of the audit trail go to the bucket under Object Lock.
"""

from __future__ import annotations

import asyncio

from ..audit import Witness
from ..logs import get_logger
from ..object_storage import ObjectLockWitness, ObjectStorageSettings, ObjectStore, fetch_model
from ..settings import Settings
from . import Integration, IntegrationContext

NAME = "object-storage"

log = get_logger(__name__)


def integration(context: IntegrationContext) -> Integration:
    """The bucket's readiness check and, when a model key is set, the model fetch before the model loads."""
    settings = ObjectStorageSettings()
    # The readiness probe asks once and waits no longer than a connection takes, so /readyz answers quickly.
    probe_settings = settings.model_copy(
        update={"max_attempts": 1, "read_timeout_seconds": settings.connect_timeout_seconds}
    )
    timeout = 2 * settings.connect_timeout_seconds + 1.0
    if settings.bucket is None:
        # Not configured: reported in /readyz as degraded, without failing readiness (nothing depends on the
        # bucket until a model key or an upload path uses it), so adding the module never takes a service down.
        return Integration(NAME, check=_not_configured, check_timeout_seconds=timeout, required=False)
    store = ObjectStore(settings, track=lambda: context.track(NAME))
    probe = ObjectStore(probe_settings, track=lambda: context.track(NAME))

    async def check() -> None:
        await asyncio.to_thread(probe.ping)

    async def prepare() -> None:
        if settings.model_key is None:
            return
        fetched = await asyncio.to_thread(fetch_model, store, settings.model_key, context.settings.model_path)
        log.info(
            "model_fetched" if fetched.downloaded else "model_already_present",
            key=settings.model_key,
            path=str(fetched.path),
            sha256=fetched.sha256,
        )

    def open_witness(_service: Settings) -> Witness:
        witness = ObjectLockWitness(store, str(settings.witness_prefix), settings.witness_retention_days)
        witness.require_object_lock()
        return witness

    # The bucket's region is declared: the service refuses to start when it is outside the data residency.
    return Integration(
        NAME,
        check=check,
        prepare=prepare,
        check_timeout_seconds=timeout,
        data_region=settings.region,
        audit_witness=open_witness if settings.witness_prefix is not None else None,
    )


async def _not_configured() -> None:
    msg = "no bucket configured: set OBJECT_STORAGE_BUCKET (with the service's prefix)"
    raise RuntimeError(msg)
