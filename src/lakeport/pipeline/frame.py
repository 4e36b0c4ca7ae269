"""Read -> map: a batch's files as one frame of target columns, ``_errors`` and ``_warnings``.

Example:
    >>> frame, report = validated_frame(spark, ds, files, options, "b1")  # doctest: +SKIP
    >>> report["unmappedSourceFields"]  # doctest: +SKIP
    []
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeport.config.plan import resolve_mapping
from lakeport.errors import ErrorCode
from lakeport.lake.tables import ERROR_STRUCT
from lakeport.pipeline.mapping import MappedColumns, compile_mapping
from lakeport.readers import get_reader
from lakeport.readers.files import only_positions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Dataset
    from lakeport.config.plan import MappingPlan
    from lakeport.lake.fs import FileInfo
    from lakeport.readers.base import Resolver
    from lakeport.spec.settings import ReaderOptions

POSITION_COLUMNS = ["_raw", "_source_file", "_parse_error", "_block", "_row", "_skip"]


def validated_frame(
    spark: SparkSession,
    ds: Dataset,
    files: list[FileInfo],
    options: ReaderOptions,
    batch_id: str | None = None,
) -> tuple[DataFrame, dict[str, Any]]:
    """The batch as one frame: target columns, ``_errors``, ``_warnings`` and the position columns.

    Pure up to the read: no action runs except the small header/sample reads on the driver.
    Returns the frame and the mapping report (auto-mapped, unmapped fields).

    Raises:
        BatchError: a batch-level problem of the files (empty, unreadable, bad header, ...).
    """
    batch = mapped_batch(spark, ds, files, options, batch_id)
    return batch.frame(), batch.report


@dataclass(frozen=True)
class MappedBatch:
    """A batch's read and its mapping: the whole batch, or only some of its records.

    ``frame()`` is the validated frame; ``frame(positions)`` the same frame for the records at
    ``positions`` alone (``_fk`` = ``xxhash64(_source_file)``, ``_rk`` = ``_row``, as
    :func:`lakeport.pipeline.observe.key_columns` observes them). The reader selects those rows
    where it first numbers them, *before* it parses them, so Spark reads, parses, maps and
    validates only those records: a semi-join above the parse is not pushed below it (the
    projection that numbers rows is non-deterministic), and the error table's re-read then cost
    a second pass over the whole batch.
    """

    read: Callable[[DataFrame | None], DataFrame]
    build: Callable[[DataFrame], DataFrame]
    report: dict[str, Any]

    def frame(self, positions: DataFrame | None = None) -> DataFrame:
        return self.build(self.read(positions))


def mapped_batch(
    spark: SparkSession,
    ds: Dataset,
    files: list[FileInfo],
    options: ReaderOptions,
    batch_id: str | None = None,
) -> MappedBatch:
    """The checks, the sample and the mapping plan of a batch, once; see :class:`MappedBatch`.

    Raises:
        BatchError: a batch-level problem of the files (empty, unreadable, bad header, ...).
    """
    reader = get_reader(ds.config.format)
    fixed = reader.validated(spark, files, batch_id)
    if fixed is not None:  # a fixed-shape format: nothing to map
        validated = fixed
        return MappedBatch(
            lambda positions: only_positions(validated, positions), lambda frame: frame, {}
        )
    header = reader.check(spark, files, options, batch_id)
    info = reader.discover(spark, files, options, header)
    plan = resolve_mapping(ds.mapping, ds.schema_spec, info.fields, ds.entries)
    source = reader.read(spark, files, options, plan, ds.schema_spec, info)
    resolve = reader.resolver(source, info)

    def read(positions: DataFrame | None) -> DataFrame:
        if positions is None:
            return source
        return reader.read(spark, files, options, plan, ds.schema_spec, info, positions)

    mapping = _compiled(spark, ds, plan, source, resolve, repr(info))

    def build(frame: DataFrame) -> DataFrame:
        return _with_parse_errors(mapping.apply(frame, POSITION_COLUMNS), options)

    return MappedBatch(read, build, plan.summary())


def _compiled(
    spark: SparkSession,
    ds: Dataset,
    plan: MappingPlan,
    source: DataFrame,
    resolve: Resolver,
    info: str,
) -> MappedColumns:
    """The batch's mapping compiled over ``source``'s schema, from the process cache when it holds
    one for the same shape (see ``_COMPILED``)."""
    key = (
        str(spark._jsparkSession.sessionUUID()),
        ds.config.format,
        repr(plan),
        repr(ds.schema_spec),
        source.schema.json(),
        info,
        ds.mapping.timezone,
        ds.config.on_invalid,
    )
    with _COMPILED_LOCK:
        hit = _COMPILED.pop(key, None)
    mapping = hit or compile_mapping(
        plan,
        ds.schema_spec,
        resolve,
        lambda c: source.select(c.alias("x")).schema["x"].dataType,
        ds.mapping.timezone,
        ds.config.on_invalid,
    )
    with _COMPILED_LOCK:
        _COMPILED[key] = mapping  # most recently used last
        while len(_COMPILED) > _COMPILED_KEPT:
            _COMPILED.pop(next(iter(_COMPILED)))
    return mapping


# Compiled mappings of this process, by everything a compilation reads: the session, the format,
# the plan, the target schema, the source frame's schema, the reader's view of the files, the
# zone and the invalid-value rule. A stream's micro-batches and a scheduler's repeated batches of
# one dataset compile once (a compilation is thousands of calls into the JVM: 1-2 s of driver
# time per batch); a changed mapping, schema or file shape is a new key.
_COMPILED: dict[tuple[str, ...], MappedColumns] = {}
_COMPILED_KEPT = 32
_COMPILED_LOCK = threading.Lock()


def _with_parse_errors(mapped: DataFrame, options: ReaderOptions) -> DataFrame:
    """A line the reader could not parse fails with its parse code (or warns: not UTF-8)."""
    from pyspark.sql import functions as F

    code = F.col("_parse_error")
    parse_error = F.array(
        F.struct(
            code.alias("code"),
            F.lit(None).cast("string").alias("field"),
            F.when(
                code == ErrorCode.PARSE_MALFORMED_JSON.value,
                F.lit("the line is not a JSON object"),
            )
            .when(
                code == ErrorCode.ENCODING_INVALID_UTF8.value,
                F.lit("the line holds bytes that are not UTF-8; they landed as U+FFFD"),
            )
            .otherwise(F.lit("the row does not have as many fields as the header"))
            .alias("message"),
        )
    )
    empty = F.array().cast(ERROR_STRUCT)
    # bytes that are not UTF-8 still make a record: a warning, or an error if the dataset says so
    not_utf8 = code == ErrorCode.ENCODING_INVALID_UTF8.value
    broken = code.isNotNull() & ~not_utf8
    errors = F.when(broken, parse_error).otherwise(F.col("_errors"))
    warnings = F.when(broken, empty).otherwise(F.col("_warnings"))
    if options.encoding_errors == "fail":
        errors = F.when(not_utf8, F.concat(parse_error, errors)).otherwise(errors)
    else:
        warnings = F.when(not_utf8, F.concat(parse_error, warnings)).otherwise(warnings)
    mapped = mapped.withColumn("_errors", errors).withColumn("_warnings", warnings)
    return mapped.drop("_parse_error")
