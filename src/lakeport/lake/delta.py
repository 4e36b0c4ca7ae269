"""Delta reads and writes of lakeport, and how their failures are classified.

Every write is scoped: a blind append, or a ``replaceWhere`` on the batch ids it owns (a re-run
deletes its own earlier rows and a replay removes its predecessors in the same commit). Conflicts
of Delta's optimistic concurrency are recognised by their classes (``delta.exceptions``, and the
error conditions of Spark's exceptions), never by matching message text.

Example:
    >>> append_rows(df, "./lake/system/events")  # doctest: +SKIP
    >>> delta_version(spark, "./lake/system/events")  # doctest: +SKIP
    0
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Spark error conditions (PySparkException.getCondition) of Delta's conflicts that are not
# converted to delta.exceptions classes (they arrive wrapped, or as a DeltaAnalysisException)
_CONFLICT_CONDITIONS = (
    "DELTA_CONCURRENT_APPEND",
    "DELTA_CONCURRENT_DELETE_READ",
    "DELTA_CONCURRENT_DELETE_DELETE",
    "DELTA_CONCURRENT_TRANSACTION",
    "DELTA_CONCURRENT_WRITE",
    "DELTA_METADATA_CHANGED",
    "DELTA_PROTOCOL_CHANGED",
)
_SCHEMA_CONDITIONS = (
    "DELTA_FAILED_TO_MERGE_FIELDS",
    "DELTA_METADATA_MISMATCH",
    "_LEGACY_ERROR_TEMP_DELTA_0007",  # "A schema mismatch detected when writing to the Delta table"
    "DELTA_SCHEMA_MISMATCH",
)
# Java exception classes in a failure's cause chain that mean "another writer got there first"
_CONFLICT_JAVA_CLASSES = (
    "java.nio.file.FileAlreadyExistsException",
    "org.apache.hadoop.fs.FileAlreadyExistsException",
    "io.delta.exceptions.DeltaConcurrentModificationException",
)


def _delta_conflict_classes() -> tuple[type[BaseException], ...]:
    from delta import exceptions as dx

    return (
        dx.DeltaConcurrentModificationException,
        dx.ConcurrentWriteException,
        dx.MetadataChangedException,
        dx.ProtocolChangedException,
        dx.ConcurrentAppendException,
        dx.ConcurrentDeleteReadException,
        dx.ConcurrentDeleteDeleteException,
        dx.ConcurrentTransactionException,
    )


def condition(exc: BaseException) -> str | None:
    """The Spark error condition (``DELTA_...``) of a PySpark exception, or None."""
    get = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    try:
        return str(get()) if get is not None and get() else None
    except Exception:  # the gateway may be gone
        return None


def java_classes(exc: BaseException) -> list[str]:
    """The class names of the Java exception behind ``exc`` and of its causes."""
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    names: list[str] = []
    try:
        while java is not None and len(names) < 20:
            names.append(str(java.getClass().getName()))
            java = java.getCause()
    except Exception:  # not a py4j object, or the gateway is gone
        pass
    return names


def is_conflict(exc: BaseException) -> bool:
    """A Delta optimistic-concurrency failure: another writer committed first."""
    if isinstance(exc, _delta_conflict_classes()):
        return True
    cond = condition(exc)
    if cond is not None and cond.startswith(_CONFLICT_CONDITIONS):
        return True
    return any(name in _CONFLICT_JAVA_CLASSES for name in java_classes(exc))


def is_schema_mismatch(exc: BaseException) -> bool:
    """The frame's schema does not fit the table's (and schema evolution is off)."""
    cond = condition(exc)
    return cond is not None and cond.startswith(_SCHEMA_CONDITIONS)


def retry(action: Callable[[], Any], attempts: int = 5) -> Any:
    """Run a Delta write, retrying the optimistic-concurrency conflicts Delta reports.

    Only idempotent writes go through here (appends of new rows, ``replaceWhere`` of owned ids).
    """
    for attempt in range(attempts):
        try:
            return action()
        except Exception as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2**attempt)
    return None  # pragma: no cover - the loop returns or raises


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_delta(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, path))


def delta_version(spark: SparkSession, path: str) -> int | None:
    """The table's latest version, or None when there is no table yet."""
    if not is_delta(spark, path):
        return None
    from delta.tables import DeltaTable

    row = DeltaTable.forPath(spark, path).history(1).select("version").first()
    return int(row[0]) if row else None


def read_table(spark: SparkSession, path: str, ddl: str) -> DataFrame:
    """A system table, or an empty frame of its schema when it does not exist yet."""
    if is_delta(spark, path):
        return spark.read.format("delta").load(path)
    return spark.createDataFrame([], ddl)


def write_batch_rows(
    df: DataFrame,
    path: str,
    batch_ids: list[str],
    *,
    id_column: str = "_batch_id",
    merge_schema: bool = False,
) -> None:
    """Replace the rows of ``batch_ids`` in the Delta table at ``path`` with ``df``, in one commit.

    The predicate names the new batch id too, so a re-run deletes its own earlier rows: the write
    is idempotent, and a replay (``--replace``) removes predecessors in the same commit.
    """
    predicate = f"{id_column} IN ({', '.join(sql_string(b) for b in batch_ids)})"
    writer = df.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    retry(lambda: writer.save(path))


def replace_where(df: DataFrame, path: str, predicate: str) -> None:
    """Replace the rows matching ``predicate`` with ``df`` in one commit (or create the table)."""
    writer = df.write.format("delta")
    if is_delta(df.sparkSession, path):
        writer = writer.mode("overwrite").option("replaceWhere", predicate)
    else:
        writer = writer.mode("append")
    retry(lambda: writer.save(path))


def append_rows(
    df: DataFrame,
    path: str,
    *,
    merge_schema: bool = False,
    properties: dict[str, str] | None = None,
) -> None:
    """Blind append; concurrent blind appends never conflict in Delta. ``properties`` are the
    Delta table properties the table gets if this append creates it."""
    writer = df.write.format("delta").mode("append")
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    for key, value in (properties or {}).items():
        writer = writer.option(key, value)
    retry(lambda: writer.save(path))


def append_records(spark: SparkSession, path: str, ddl: str, rows: list[dict[str, Any]]) -> None:
    """Append small driver-side records (catalog rows, events) to a system table, one commit."""
    if not rows:
        return
    from lakeport.lake.tables import SYSTEM_TABLE_DEFAULTS, struct_schema

    schema = struct_schema(ddl)
    df = spark.createDataFrame([tuple(r.get(n) for n in schema.names) for r in rows], schema)
    append_rows(df, path, properties=SYSTEM_TABLE_DEFAULTS)
