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
from lakeport.transforms.convert import blank_to_null, source_text
from lakeport.transforms.fields import (
    Parsing,
    convert_field,
    failure_message,
    note_message,
    primitive_parts,
)
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
    """The compiled mapping, as projections applied in order.

    Each of ``steps`` adds columns to the frame before it; ``output`` selects the result. Every
    costly expression is one column of one step, so later steps read it instead of evaluating a
    copy (Spark keeps the projections apart because each column is read several times):

    1. ``__t<i>``: the source value's trimmed text (lower-cased for booleans), once per row;
    2. ``__r<i>``: the one parse or cast of that text (a regex at most);
    3. ``__v<i>``: the final value (range checks), for conversions that have that step;
    4. ``__f<i>_<k>`` one boolean per failure kind, ``__n<i>_<k>`` per warning, from ``__v<i>``;
    5. ``__e<j>``: rule violations and missing required values of the nulled values;
    6. ``output``: the nested target columns, and ``_errors`` / ``_warnings`` built only for the
       rows that have one (``concat`` of one-element arrays, all codegen: no ``filter`` lambda).
    """

    steps: list[list[Column]]
    output: list[Column]

    def apply(self, df: DataFrame, keep: list[str] | None = None) -> DataFrame:
        """The mapping over ``df``, a frame with the schema it was compiled for.

        The Columns name their inputs (they are not bound to one DataFrame), so one compilation
        (thousands of calls into the JVM, seconds on the driver) serves every frame of that
        schema: the whole batch and the re-read of its flagged lines alike.
        """
        frame = df
        for step in self.steps:
            frame = frame.select("*", *step)
        return frame.select(*self.output, *(keep or []))


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

    texts: list[Column] = []
    raws: list[Column] = []
    finished: list[Column] = []
    flags: list[Column] = []
    checks: list[Column] = []
    values: dict[str, Column] = {}
    errors: list[tuple[Column, Column]] = []  # (flag column, error struct)
    warnings: list[tuple[Column, Column]] = []
    primary = {p for p, ident in schema.identities() if ident.primary}
    implicit = {"_id", "timestamp"} if schema.class_ == "event" else set()

    def check(flag: Column, struct: Column) -> None:
        checks.append(F.coalesce(flag, F.lit(False)).alias(f"__e{len(checks)}"))
        errors.append((F.col(f"__e{len(checks) - 1}"), struct))

    for i, (path, spec) in enumerate(mappable_targets(schema).items()):
        required = spec.required or path in primary or path in implicit
        missing = _error(
            ErrorCode.REQUIRED_MISSING.value,
            path,
            F.lit(f"required field {path} is missing or empty"),
        )
        entry = plan.entries.get(path)
        if entry is None:
            values[path] = F.lit(None).cast(field_type(spec))
            if required:
                errors.append((F.lit(True), missing))
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
        how = Parsing(entry.formats, entry.timezone, entry.unit)
        fails: list[tuple[Column, str, Column]] = []
        notes: list[tuple[Column, str, Column]] = []
        if spec.type in PRIMITIVE_TYPES:
            text = source_text(src, src_type, spec.type)
            if text is not None:
                texts.append(text.alias(f"__t{i}"))
            parts = primitive_parts(
                src, src_type, spec, how, zone, F.col(f"__t{i}") if text is not None else None
            )
            head = parts[0]
            raws.append((head.raw if head.raw is not None else head.value).alias(f"__r{i}"))
            v = F.col(f"__r{i}")
            if head.finish is not None:
                finished.append(head.finish(v).alias(f"__v{i}"))
                v = F.col(f"__v{i}")
            for p in parts:
                flag = p.invalid_from(v) if p.invalid_from is not None else p.invalid
                fails.append((flag, p.code, failure_message(src, spec.type, p.code)))
                made = p.notes_from(v) if p.notes_from is not None else p.notes
                notes.extend((n.flag, n.code, note_message(src, n.message)) for n in made)
        else:  # arrays and maps: items convert inside transform(), as single expressions
            value, fails = convert_field(src, src_type, spec, path, how, zone)
            raws.append(value.alias(f"__r{i}"))
            v = F.col(f"__r{i}")
        fails_row = required or (spec.on_invalid or on_invalid) == "fail"
        any_fail = F.lit(False)
        for k, (flag, code, message) in enumerate(fails):
            flags.append(F.coalesce(flag, F.lit(False)).alias(f"__f{i}_{k}"))
            failed = F.col(f"__f{i}_{k}")
            any_fail = any_fail | failed
            # the message reads the source again, but only for the rows that failed
            fatal = fails_row or code == ErrorCode.CONVERSION_OUT_OF_RANGE.value
            (errors if fatal else warnings).append((failed, _error(code, path, message)))
        for k, (flag, code, message) in enumerate(notes):  # the value lands: warnings only
            flags.append(F.coalesce(flag, F.lit(False)).alias(f"__n{i}_{k}"))
            warnings.append((F.col(f"__n{i}_{k}"), _error(code, path, message)))
        # a failed optional field is nulled (and warned about); a failed required one fails the row
        nulled = F.when(~any_fail, v) if fails else v
        if required:
            check(nulled.isNull() & ~any_fail, missing)
        if spec.type in PRIMITIVE_TYPES:
            for flag, code, message in rule_failures(nulled, spec, path, required):
                check(flag, _error(code, path, message))
        values[path] = nulled

    output = [
        *_nest(schema.fields, values, ""),
        _collect(errors).alias("_errors"),
        _collect(warnings).alias("_warnings"),
    ]
    steps = [s for s in (texts, raws, finished, flags, checks) if s]
    return MappedColumns(steps, output)


def _collect(items: list[tuple[Column, Column]]) -> Column:
    """The structs whose flag is true, as an array; built only when one is."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    error_type = T.ArrayType(
        T.StructType([T.StructField(n, T.StringType()) for n in ("code", "field", "message")])
    )
    empty = F.array().cast(error_type)
    if not items:
        return empty
    anything = F.lit(False)
    for flag, _ in items:
        anything = anything | flag
    parts = [F.when(flag, F.array(struct)).otherwise(empty) for flag, struct in items]
    return F.when(anything, F.concat(*parts) if len(parts) > 1 else parts[0]).otherwise(empty)


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
    return compiled.apply(df, keep)
