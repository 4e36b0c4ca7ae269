"""The lake layout, the system tables and the Delta writes.

``<root>/datasets/<name>/``   one Delta table per dataset (+ ``_batch_id``, ``_ingested_at``, ``_source_file``)
``<root>/system/batches/``    the batch catalog: append-only status transitions; the latest row per
                              batch id is its state (blind appends never conflict between writers)
``<root>/system/errors/``     failed records (severity ``error``) and warnings of landed records
``<root>/system/events/``     ingestion events (``ing_load_success`` / ``ing_load_failure``)
``<root>/staging/<batch>/``   files uploaded into an open batch

Every write is idempotent for its batch id: ``replaceWhere`` on the batch id (plus, for a replay,
the replaced batch ids) deletes and inserts in one Delta commit.

Example:
    >>> lake = Lake("./lake")
    >>> lake.dataset_path("loyalty")
    './lake/datasets/loyalty'
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lakeport.errors import NotFoundError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import types as T

ERROR_STRUCT = "array<struct<code:string,field:string,message:string>>"

BATCHES_DDL = (
    "batch_id string, dataset string, status string, seq long, updated_at timestamp, "
    "input_format string, files array<string>, replace array<string>, created_at timestamp, "
    "started_at timestamp, completed_at timestamp, input_file_count long, input_byte_size long, "
    "input_record_count long, output_record_count long, failed_record_count long, "
    "warning_record_count long, error_summary map<string,long>, error_code string, "
    "error_message string, delta_version long, options string, mapping_report string"
)
ERRORS_DDL = (
    f"batch_id string, dataset string, severity string, errors {ERROR_STRUCT}, raw string, "
    "source_file string, line long, recorded_at timestamp"
)
EVENTS_DDL = (
    "event_id string, event_type string, batch_id string, dataset string, status string, "
    "input_format string, started_at timestamp, completed_at timestamp, success_count long, "
    "failed_count long, error_summary map<string,long>, emitted_at timestamp"
)


def utc_now() -> datetime:
    """Now, as a naive UTC datetime (Spark's session zone is UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Lake:
    """Paths of one lake root (a local path or any Hadoop filesystem URI)."""

    root: str

    def _join(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def dataset_path(self, name: str) -> str:
        return self._join("datasets", name)

    def system_path(self, table: str) -> str:
        return self._join("system", table)

    def staging_root(self) -> str:
        return self._join("staging")

    def staging_path(self, batch_id: str) -> str:
        """``<root>/staging/<batch_id>``; the id is checked first (never ``..`` or ``a/b``)."""
        from lakeport.names import check_batch_id

        return self._join("staging", check_batch_id(batch_id))


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
    _retry(lambda: writer.save(path))


def append_rows(df: DataFrame, path: str, *, merge_schema: bool = False) -> None:
    """Blind append; concurrent blind appends never conflict in Delta."""
    writer = df.write.format("delta").mode("append")
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    _retry(lambda: writer.save(path))


def _retry(action: Any, attempts: int = 5) -> None:
    """Run a Delta write, retrying the optimistic-concurrency conflicts Delta reports."""
    for attempt in range(attempts):
        try:
            action()
            return
        except Exception as exc:
            name = type(exc).__name__ + " " + str(exc)[:300]
            conflict = any(
                k in name
                for k in (
                    "ConcurrentAppend",
                    "ConcurrentTransaction",
                    "ProtocolChanged",
                    "MetadataChanged",
                    "DELTA_CONCURRENT",
                )
            )
            if not conflict or attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2**attempt)


# --------------------------------------------------------------------------------------------
# The batch catalog
# --------------------------------------------------------------------------------------------


def record_batch(spark: SparkSession, lake: Lake, row: dict[str, Any]) -> None:
    """Append one status transition of a batch to ``system/batches``."""
    from pyspark.sql import types as T

    schema = T._parse_datatype_string(BATCHES_DDL)
    assert isinstance(schema, T.StructType)
    values = {name: row.get(name) for name in schema.names}
    values["seq"] = time.time_ns()
    values["updated_at"] = utc_now()
    df = spark.createDataFrame([tuple(values[n] for n in schema.names)], schema)
    append_rows(df, lake.system_path("batches"))


def batches(spark: SparkSession, lake: Lake) -> DataFrame:
    """The latest state of every batch (one row per batch id)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = read_table(spark, lake.system_path("batches"), BATCHES_DDL)
    latest = Window.partitionBy("batch_id").orderBy(F.col("seq").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")


def get_batch(spark: SparkSession, lake: Lake, batch_id: str) -> dict[str, Any]:
    """The latest state of one batch as a dict.

    Raises:
        NotFoundError: when the catalog has no such batch.
    """
    from pyspark.sql import functions as F

    path = lake.system_path("batches")
    df = read_table(spark, path, BATCHES_DDL).where(F.col("batch_id") == batch_id)
    row = df.orderBy(F.col("seq").desc()).first()
    if row is None:
        raise NotFoundError(
            f"no batch {batch_id!r} in {path}; list batches with 'lakeport batch list'"
        )
    return row.asDict(recursive=True)


def batch_summary(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape of a batch for the CLI and notebooks."""

    def ts(value: Any) -> str | None:
        return (
            value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if value else None
        )

    out = {
        "batch_id": row["batch_id"],
        "dataset": row["dataset"],
        "status": row["status"],
        "input_format": row.get("input_format"),
        "created_at": ts(row.get("created_at")),
        "metrics": {
            "inputFileCount": row.get("input_file_count"),
            "inputByteSize": row.get("input_byte_size"),
            "inputRecordCount": row.get("input_record_count"),
            "outputRecordCount": row.get("output_record_count"),
            "failedRecordCount": row.get("failed_record_count"),
            "warningRecordCount": row.get("warning_record_count"),
            "startedAt": ts(row.get("started_at")),
            "completedAt": ts(row.get("completed_at")),
        },
        "errorSummary": dict(sorted((row.get("error_summary") or {}).items())),
    }
    if row.get("error_code"):
        out["error"] = {"code": row["error_code"], "message": row.get("error_message")}
    if row.get("delta_version") is not None:
        out["deltaVersion"] = row["delta_version"]
    if row.get("replace"):
        out["replaced"] = list(row["replace"])
    if row.get("mapping_report"):
        out["mapping"] = json.loads(row["mapping_report"])
    return out


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


def emit_event(spark: SparkSession, lake: Lake, event: dict[str, Any]) -> None:
    """Append one ingestion event to ``system/events`` (a retried batch adds its new outcome)."""
    from pyspark.sql import types as T

    schema = T._parse_datatype_string(EVENTS_DDL)
    assert isinstance(schema, T.StructType)
    df = spark.createDataFrame([tuple(event.get(n) for n in schema.names)], schema)
    append_rows(df, lake.system_path("events"))


def struct_schema(ddl: str) -> T.StructType:
    from pyspark.sql import types as T

    schema = T._parse_datatype_string(ddl)
    assert isinstance(schema, T.StructType)
    return schema
