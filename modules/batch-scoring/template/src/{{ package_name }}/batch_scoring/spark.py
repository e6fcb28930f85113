"""The Spark boundary: every pyspark call of batch scoring is in this module, typed at its edges.

pyspark ships type hints; the rest of the package passes paths, settings and plain Python values here
and never handles a Spark object itself.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.core.broadcast import Broadcast
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 -- the name every Spark user knows
from pyspark.sql.types import (
    ArrayType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from .._meta import PROJECT_NAME
from .errors import BatchScoringError
from .scoring import FEATURE_COLUMNS, ID_COLUMN, ModelPayload, score_batches
from .settings import BatchScoringSettings

PARTITION_COLUMN = "decision"
_FEATURE_TYPES: dict[str, DataType] = {
    "monthly_income": DoubleType(),
    "monthly_debt_payments": DoubleType(),
    "credit_history_months": LongType(),
    "past_delinquencies": LongType(),
    "employment_type": StringType(),
    "region": StringType(),
    "age_band": StringType(),
    "loan_amount": DoubleType(),
    "loan_tenure_months": LongType(),
}
_RESULT_TYPES: dict[str, DataType] = {
    "probability_of_default": DoubleType(),
    "score": IntegerType(),
    "decision": StringType(),
    "reason_codes": ArrayType(StringType(), containsNull=False),
    "explanation": StringType(),
    "decided_at": StringType(),
    "latency_ms": DoubleType(),
    "run_id": StringType(),
}
_INPUT_TYPES: dict[str, DataType] = {
    ID_COLUMN: StringType(),
    **{name: _FEATURE_TYPES[name] for name in FEATURE_COLUMNS},
}
OUTPUT_SCHEMA = StructType([StructField(name, kind) for name, kind in {**_INPUT_TYPES, **_RESULT_TYPES}.items()])


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java found), or None."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return None if Path(home, "bin", "java").is_file() else f"JAVA_HOME={home} has no bin/java"
    if shutil.which("java") is None:
        return "no `java` on PATH and JAVA_HOME is not set"
    return None


@contextmanager
def spark_session(settings: BatchScoringSettings) -> Iterator[SparkSession]:
    """A Spark session for ``settings.master``; stopped on exit unless one was already running."""
    problem = java_problem()
    if problem is not None:
        msg = f"Spark needs Java 17 or newer: {problem} (Debian: apt-get install openjdk-17-jre-headless)"
        raise BatchScoringError(msg)
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its INFO lines on shutdown are noise
    running = SparkSession.getActiveSession()
    try:
        spark = _builder(settings).getOrCreate()
    except PySparkException as exc:
        raise BatchScoringError(f"cannot start Spark (master {settings.master}): {exc}") from exc
    spark.sparkContext.setLogLevel("FATAL")  # failures reach the caller as BatchScoringError
    try:
        yield spark
    finally:
        if running is None:
            spark.stop()


def _builder(settings: BatchScoringSettings) -> SparkSession.Builder:
    builder = (
        SparkSession.Builder()
        .master(settings.master)
        .appName(f"{PROJECT_NAME}-batch-scoring")
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(settings.arrow_batch_rows))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if settings.master.startswith("local"):
        # On one machine the executors run this very interpreter (with this package installed);
        # on a cluster, PYSPARK_PYTHON names the workers' interpreter.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder


def read_input(spark: SparkSession, path: Path) -> DataFrame:
    """The id and feature columns of the Parquet data set at ``path`` (other columns, personal data included, are
    never read), cast to the types the scorer expects."""
    try:
        frame = spark.read.parquet(str(path))
    except PySparkException as exc:
        raise BatchScoringError(f"cannot read Parquet from {path}: {exc}") from exc
    missing = [name for name in _INPUT_TYPES if name not in frame.columns]
    if missing:
        msg = f"{path} lacks the column(s) {', '.join(missing)}; the scorer needs {', '.join(_INPUT_TYPES)}"
        raise BatchScoringError(msg)
    return frame.select([F.col(name).cast(kind).alias(name) for name, kind in _INPUT_TYPES.items()])


def row_counts(frame: DataFrame) -> tuple[int, int, int]:
    """Rows, distinct application ids, and rows with a missing value, in one pass."""
    nulls = sum((F.col(name).isNull().cast("int") for name in _INPUT_TYPES), F.lit(0))
    row = frame.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(ID_COLUMN).alias("ids"),
        F.sum(nulls).alias("nulls"),
    ).first()
    if row is None:  # an aggregate always has one row
        return 0, 0, 0
    return int(row["rows"]), int(row["ids"]), int(row["nulls"] or 0)


def score_and_write(spark: SparkSession, frame: DataFrame, payload: ModelPayload, run_id: str, output: Path) -> None:
    """Score every row on the executors (model bytes broadcast once) and write Parquet partitioned by decision."""
    shared = spark.sparkContext.broadcast(payload)
    try:
        scored = frame.mapInPandas(partial(_score_partition, shared, run_id), OUTPUT_SCHEMA)
        scored.write.mode("errorifexists").partitionBy(PARTITION_COLUMN).parquet(str(output))
    except PySparkException as exc:
        raise BatchScoringError(f"scoring failed: {exc}") from exc
    finally:
        shared.unpersist()


def _score_partition(
    shared: Broadcast[ModelPayload], run_id: str, batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    return score_batches(shared.value, run_id, batches)  # .value: read once per executor, not per task


def decision_counts(spark: SparkSession, output: Path) -> dict[str, int]:
    """How many rows of the written results got each decision."""
    rows = spark.read.parquet(str(output)).groupBy(PARTITION_COLUMN).count().collect()
    return {str(row[PARTITION_COLUMN]): int(row["count"]) for row in rows}


def results_in_order(spark: SparkSession, output: Path) -> Iterator[Mapping[str, Any]]:
    """The written results ordered by application id, streamed to the driver one partition at a time."""
    frame = spark.read.parquet(str(output)).orderBy(ID_COLUMN)
    for row in frame.toLocalIterator(prefetchPartitions=True):
        yield row.asDict()
