"""The reader protocol: input files -> one *source frame* per batch, never dropping a row silently.

A source frame (built by :func:`source_frame`, the one constructor) has these columns:

``_src``           struct of the source fields the mapping reads (strings for JSON and CSV, so
                   conversion decides types; Parquet keeps its own types)
``_raw``           the record's raw text (the line for JSON Lines and CSV; rebuilt JSON otherwise)
``_source_file``   the file's URI
``_parse_error``   null, or PARSE_MALFORMED_JSON / PARSE_MALFORMED_CSV
``_block``         the file split's start offset (line-based formats) for line numbers
``_row``           position of the row: an increasing id within its split (line-based), or the
                   Parquet row index
``_skip``          true for lines that are not records (blank lines, CSV headers); they stay in
                   the frame only so that line numbers count them

Each format is one :class:`Reader` in :data:`lakeport.readers.READERS`. A reader of a
fixed-shape format (audience-partner files) returns the validated frame itself from
:meth:`Reader.validated`: there is nothing to map.

Example:
    >>> reader = get_reader("json")  # doctest: +SKIP
    >>> header = reader.check(spark, files, options, batch_id)  # doctest: +SKIP
    >>> info = reader.discover(spark, files, options, header)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.readers.files import check_files

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import types as T

    from lakeport.config.plan import MappingPlan
    from lakeport.lake.fs import FileInfo
    from lakeport.spec.schema import SchemaSpec
    from lakeport.spec.settings import ReaderOptions

Resolver = Callable[[str], "tuple[Column, T.DataType]"]


@dataclass(frozen=True)
class SourceInfo:
    """What a batch's files contain before they are read in full."""

    fields: list[str]
    header: list[str] = field(default_factory=list)
    parquet_schema: Any = None


def source_frame(
    df: DataFrame,
    *,
    src: Column,
    raw: Column,
    source_file: Column | None = None,
    parse_error: Column | None = None,
    block: Column | None = None,
    row: Column | None = None,
    skip: Column | None = None,
) -> DataFrame:
    """The source-frame contract as one select (defaults: file from ``_metadata``, no block)."""
    from pyspark.sql import functions as F

    return df.select(
        src.alias("_src"),
        raw.alias("_raw"),
        (source_file if source_file is not None else F.col("_metadata.file_path")).alias(
            "_source_file"
        ),
        (parse_error if parse_error is not None else F.lit(None).cast("string")).alias(
            "_parse_error"
        ),
        (block if block is not None else F.lit(None).cast("long")).alias("_block"),
        (row if row is not None else F.monotonically_increasing_id()).alias("_row"),
        (skip if skip is not None else F.lit(False)).alias("_skip"),
    )


def split_index(part: str) -> tuple[str, bool]:
    """``items[0]`` -> (``items``, True); ``sku`` -> (``sku``, False)."""
    if part.endswith("]") and "[" in part:
        return part[: part.index("[")], True
    return part, False


def leaf_paths(obj: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dot paths of the leaves of a JSON object."""
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from leaf_paths(value, path + ".")
        else:
            yield path


def leaf_paths_of_type(schema: T.StructType, prefix: str = "") -> list[str]:
    """Dot paths of the non-struct fields of a Spark schema."""
    from pyspark.sql import types as T

    out = []
    for f in schema.fields:
        path = f"{prefix}{f.name}"
        if isinstance(f.dataType, T.StructType):
            out.extend(leaf_paths_of_type(f.dataType, path + "."))
        else:
            out.append(path)
    return out


def struct_resolver(source: DataFrame) -> Resolver:
    """Source paths (``a.b``, ``items[0].sku``) resolved inside ``_src`` by its schema."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    src_type = source.schema["_src"].dataType

    def resolve(path: str) -> tuple[Column, T.DataType]:
        col: Column = F.col("_src")
        dtype: T.DataType = src_type
        for part in path.split("."):
            name, is_item = split_index(part)
            if not isinstance(dtype, T.StructType) or name not in dtype.names:
                return F.lit(None).cast("string"), T.StringType()
            col, dtype = col[name], dtype[name].dataType
            if is_item:
                index = int(part[part.index("[") + 1 : -1])
                if not isinstance(dtype, T.ArrayType):
                    return F.lit(None).cast("string"), T.StringType()
                col, dtype = F.get(col, index), dtype.elementType
        return col, dtype

    return resolve


class Reader:
    """One input format: batch checks, field discovery, the read, and source-path resolution."""

    name = ""
    # files this small are looked at on the driver, so a whitespace-only file is named as empty
    inspect_small_files = False

    def check(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        batch_id: str | None,
    ) -> list[str]:
        """Batch-level checks (raise BatchError); returns the CSV header (empty otherwise)."""
        return check_files(
            spark, files, self.name, options, batch_id, small_files=self.inspect_small_files
        )

    def discover(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        header: list[str],
    ) -> SourceInfo:
        """The source field paths a batch offers (for auto-mapping and the unmapped report)."""
        raise NotImplementedError

    def read(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        plan: MappingPlan,
        schema: SchemaSpec,
        info: SourceInfo,
        positions: DataFrame | None = None,
    ) -> DataFrame:
        """The batch's files as a source frame; only the rows at ``positions`` when given
        (see :func:`only_positions`)."""
        raise NotImplementedError

    def resolver(self, source: DataFrame, info: SourceInfo) -> Resolver:
        return struct_resolver(source)

    def validated(
        self, spark: SparkSession, files: list[FileInfo], batch_id: str | None
    ) -> DataFrame | None:
        """For a fixed-shape format: the validated frame itself (target columns, ``_errors``)."""
        return None

    @property
    def state_table(self) -> bool:
        """True when a batch is applied as a MERGE into state (traits), not appended."""
        return False
