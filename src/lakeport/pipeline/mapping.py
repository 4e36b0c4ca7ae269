"""The map step: a resolved mapping plan compiled to native Columns over a source frame.

The result is the target-shaped columns plus ``_errors`` and ``_warnings`` arrays of
``struct<code, field, message>``. A value that does not convert is nulled with a warning in an
optional field whose ``on_invalid`` (the field's, else the dataset's) is ``null``; it fails the
row in a required field or under ``on_invalid: fail``. A value out of range
(``CONVERSION_OUT_OF_RANGE``) and a rule violation (enum, minimum/maximum, pattern, identity)
always fail the row. A value that lands may still carry warnings (an epoch value in a suspect
unit, a local time in a DST gap or overlap). An expression's empty or blank text is null.

Example:
    >>> out = apply_mapping(source_df, plan, schema, resolver)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeport.config.plan import MappingPlan
from lakeport.errors import ErrorCode
from lakeport.readers.base import Resolver
from lakeport.spec.schema import PRIMITIVE_TYPES, FieldSpec, SchemaSpec, mappable_targets
from lakeport.transforms.convert import blank_to_null
from lakeport.transforms.fields import Parsing, convert_field
from lakeport.transforms.rules import rule_failures
from lakeport.transforms.types import field_type

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import types as T


def _error(code: str, path: str, message: Any) -> Column:
    from pyspark.sql import functions as F

    return F.struct(F.lit(code).alias("code"), F.lit(path).alias("field"), message.alias("message"))


@dataclass(frozen=True)
class MappedColumns:
    """The compiled mapping, in two projections.

    ``stage1`` (added to the source frame's columns) converts every mapped field once
    (``__v<i>``), with one boolean per failure kind (``__f<i>_<k>``). ``stage2`` reads those
    columns: it nulls failed fields, builds the nested target columns and the ``_errors`` /
    ``_warnings`` arrays (messages quote the source value, for failed rows only). Two projections keep every conversion a single expression that later
    expressions reference, instead of an inlined copy per use (Spark keeps the projections apart
    because the converted values are referenced several times).
    """

    stage1: list[Column]
    stage2: list[Column]


def compile_mapping(
    plan: MappingPlan,
    schema: SchemaSpec,
    resolve: Resolver,
    type_of: Callable[[Column], T.DataType],
    zone: str = "UTC",
    on_invalid: str = "null",
) -> MappedColumns:
    """Compile a mapping plan to native Columns over a source DataFrame.

    Args:
        plan: the resolved mapping.
        schema: the target schema.
        resolve: maps a source path to (Column, Spark type) on the source DataFrame.
        type_of: the Spark type of a Column over the source DataFrame (analysis only, no job).
        zone: the mapping's default time zone.
        on_invalid: the dataset's rule for values that do not convert (``null`` or ``fail``);
            a field's own ``on_invalid`` wins.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    stage1: list[Column] = []
    values: dict[str, Column] = {}
    errors: list[Column] = []
    warnings: list[Column] = []
    primary = {p for p, ident in schema.identities() if ident.primary}
    implicit = {"_id", "timestamp"} if schema.class_ == "event" else set()

    for i, (path, spec) in enumerate(mappable_targets(schema).items()):
        required = spec.required or path in primary or path in implicit
        entry = plan.entries.get(path)
        if entry is None:
            values[path] = F.lit(None).cast(field_type(spec))
            if required:
                errors.append(
                    _error(
                        ErrorCode.REQUIRED_MISSING.value,
                        path,
                        F.lit(f"required field {path} is missing or empty"),
                    )
                )
            continue
        if entry.source is not None:
            src, src_type = resolve(entry.source)
        elif entry.value is not None:
            src, src_type = F.lit(entry.value), _literal_type(entry.value)
        else:
            assert entry.expression is not None
            src = entry.expression.compile(lambda p: resolve(p)[0], entry.timezone or zone, type_of)
            src_type = type_of(src)
            if isinstance(src_type, T.StringType):  # empty text is null, computed or not
                src = blank_to_null(src)
        deferred: dict[int, Callable[[Column], Column]] = {}
        notes: list[tuple[Column, str, Column]] = []
        how = Parsing(entry.formats, entry.timezone, entry.unit)
        value, fails = convert_field(
            src, src_type, spec, path, how, zone, deferred=deferred, notes=notes
        )
        stage1.append(value.alias(f"__v{i}"))
        fails_row = required or (spec.on_invalid or on_invalid) == "fail"
        any_fail = F.lit(False)
        for k, (flag, code, message) in enumerate(fails):
            if k in deferred:
                # computed from the materialised value in stage 2, not by converting again
                failed = F.coalesce(deferred[k](F.col(f"__v{i}")), F.lit(False))
            else:
                stage1.append(F.coalesce(flag, F.lit(False)).alias(f"__f{i}_{k}"))
                failed = F.col(f"__f{i}_{k}")
            any_fail = any_fail | failed
            # the message reads the source again, but only for the rows that failed
            fatal = fails_row or code == ErrorCode.CONVERSION_OUT_OF_RANGE.value
            (errors if fatal else warnings).append(F.when(failed, _error(code, path, message)))
        for k, (flag, code, message) in enumerate(notes):  # the value lands: warnings only
            stage1.append(F.coalesce(flag, F.lit(False)).alias(f"__n{i}_{k}"))
            warnings.append(F.when(F.col(f"__n{i}_{k}"), _error(code, path, message)))
        # a failed optional field is nulled (and warned about); a failed required one fails the row
        nulled = F.when(~any_fail, F.col(f"__v{i}")) if fails else F.col(f"__v{i}")
        if required:
            errors.append(
                F.when(
                    nulled.isNull() & ~any_fail,
                    _error(
                        ErrorCode.REQUIRED_MISSING.value,
                        path,
                        F.lit(f"required field {path} is missing or empty"),
                    ),
                )
            )
        if spec.type in PRIMITIVE_TYPES:
            for flag, code, message in rule_failures(nulled, spec, path, required):
                errors.append(F.when(F.coalesce(flag, F.lit(False)), _error(code, path, message)))
        values[path] = nulled

    error_type = T.ArrayType(
        T.StructType([T.StructField(n, T.StringType()) for n in ("code", "field", "message")])
    )
    err = (
        F.filter(F.array(*errors), lambda e: e.isNotNull())
        if errors
        else F.array().cast(error_type)
    )
    warn = (
        F.filter(F.array(*warnings), lambda e: e.isNotNull())
        if warnings
        else F.array().cast(error_type)
    )
    stage2 = [*_nest(schema.fields, values, ""), err.alias("_errors"), warn.alias("_warnings")]
    return MappedColumns(stage1, stage2)


def _nest(fields: dict[str, FieldSpec], values: dict[str, Column], prefix: str) -> list[Column]:
    from pyspark.sql import functions as F

    out = []
    for name, spec in fields.items():
        path = f"{prefix}{name}"
        if spec.type == "object" and spec.fields:
            out.append(F.struct(*_nest(spec.fields, values, path + ".")).alias(name))
        else:
            out.append(values[path].alias(name))
    return out


def _literal_type(value: Any) -> T.DataType:
    from pyspark.sql import types as T

    if isinstance(value, bool):
        return T.BooleanType()
    if isinstance(value, int):
        return T.LongType()
    if isinstance(value, float):
        return T.DoubleType()
    return T.StringType()


def apply_mapping(
    df: DataFrame,
    plan: MappingPlan,
    schema: SchemaSpec,
    resolve: Resolver,
    zone: str = "UTC",
    keep: list[str] | None = None,
    on_invalid: str = "null",
) -> DataFrame:
    """Select the target-shaped columns, ``_errors`` and ``_warnings`` (plus ``keep`` columns)."""
    compiled = compile_mapping(
        plan,
        schema,
        resolve,
        lambda c: df.select(c.alias("x")).schema["x"].dataType,
        zone,
        on_invalid,
    )
    converted = df.select("*", *compiled.stage1)
    return converted.select(*compiled.stage2, *(keep or []))
