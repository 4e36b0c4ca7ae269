"""A batch's counts from the pass that writes it: Spark's observed metrics, no second scan.

The validated frame is observed on its way into the dataset write: records, failed and warned
records, the count per error code of the failed ones, and (for the error table) the position of
every flagged record. Spark collects them from the write's own tasks, so counting costs no job
of its own and the frame is never persisted.

A flagged record's position is ``(xxhash64(_source_file), _row)``: two longs per failed or
warned record travel to the driver, which is what lets the error table re-read only those lines.

Example:
    >>> watched, metrics = observed(frame, keys=True)  # doctest: +SKIP
    >>> metrics.counts().inputs  # doctest: +SKIP
    1000
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation

KEY_DDL = "_fk long, _rk long"
ROW_CODES = tuple(c.value for c in ErrorCode if c.kind == "row")


def is_failed() -> Column:
    from pyspark.sql import functions as F

    return ~F.col("_skip") & (F.size("_errors") > 0)


def is_flagged() -> Column:
    """A record that goes to the error table: failed, or landed with warnings."""
    from pyspark.sql import functions as F

    return ~F.col("_skip") & ((F.size("_errors") > 0) | (F.size("_warnings") > 0))


def key_columns() -> list[Column]:
    """The position of a record as the error table's re-read finds it again."""
    from pyspark.sql import functions as F

    return [F.xxhash64("_source_file").alias("_fk"), F.col("_row").alias("_rk")]


@dataclass(frozen=True)
class Counts:
    """What the pass counted: records, failed and warned ones, failed ones per error code."""

    inputs: int
    failed: int
    warned: int
    summary: dict[str, int] = field(default_factory=dict)


class Metrics:
    """The observation of one pass; read once the pass (the dataset write) has run."""

    def __init__(self, observation: Observation, keys: bool) -> None:
        self._observation = observation
        self._keys = keys

    def _row(self) -> Any:
        jo = self._observation._jo
        if jo is None or not jo.future().isCompleted():
            raise RuntimeError("the batch's pass did not report its metrics")
        return jo.getRow()

    def counts(self) -> Counts:
        raw = json.loads(str(self._row().getString(0)))
        codes = raw.get("codes") or {}
        return Counts(
            inputs=int(raw.get("n") or 0),
            failed=int(raw.get("failed") or 0),
            warned=int(raw.get("warned") or 0),
            summary={c: int(v) for c, v in codes.items() if v},
        )

    def keys(self, spark: Any) -> DataFrame | None:
        """The flagged records' positions as a small frame (built in the JVM, not in Python)."""
        from pyspark.sql import DataFrame

        if not self._keys:
            return None
        jvm = spark._jvm
        rows = jvm.scala.jdk.javaapi.CollectionConverters.asJava(self._row().getSeq(1))
        schema = jvm.org.apache.spark.sql.types.StructType.fromDDL(KEY_DDL)
        return DataFrame(spark._jsparkSession.createDataFrame(rows, schema), spark)


def observed(frame: DataFrame, *, keys: bool) -> tuple[DataFrame, Metrics]:
    """``frame`` with its metrics observed (records are the rows not ``_skip``)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    failed = is_failed()
    warned = ~F.col("_skip") & ~failed & (F.size("_warnings") > 0)

    def per_code(code: str) -> Column:
        hits = F.size(F.filter("_errors", lambda e: e["code"] == F.lit(code)))
        return F.coalesce(F.sum(F.when(failed, hits)), F.lit(0)).alias(code)

    summary = F.struct(
        F.count(F.when(~F.col("_skip"), F.lit(1))).alias("n"),
        F.count(F.when(failed, F.lit(1))).alias("failed"),
        F.count(F.when(warned, F.lit(1))).alias("warned"),
        F.struct(*[per_code(c) for c in ROW_CODES]).alias("codes"),
    )
    metrics = [F.to_json(summary).alias("counts")]
    if keys:
        metrics.append(F.collect_list(F.when(is_flagged(), F.struct(*key_columns()))).alias("keys"))
    observation = Observation()
    return frame.observe(observation, *metrics), Metrics(observation, keys)
