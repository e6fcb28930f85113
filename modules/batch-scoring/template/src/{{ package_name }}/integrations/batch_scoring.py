"""Batch scoring (Apache Spark): added by the batch-scoring module.

Spark is not on the online path: ``POST /v1/score`` never waits for it, so this integration has no
readiness check and no lifespan hooks, and importing it does not import pyspark (the service starts as
fast as before). The job itself runs as ``python -m <package>.batch_scoring score``; see the
``batch_scoring`` package.
"""

from __future__ import annotations

from . import Integration, IntegrationContext

NAME = "batch-scoring"


def integration(context: IntegrationContext) -> Integration:
    """Batch scoring contributes nothing to readiness: a Spark cluster being down never fails ``/readyz``."""
    del context
    return Integration(name=NAME)
