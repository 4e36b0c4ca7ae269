"""The mapping engine: source fields -> the dataset's target schema, with conversion and validation.

Two halves:

* :func:`check_mapping` validates a mapping against a schema *without Spark* (targets exist,
  expressions use known functions with the right arity, constants and expressions fit the
  target type, datetime options sit on datetime fields).
* :func:`resolve_mapping` pairs targets with the source fields a batch actually has (explicit
  entries, then auto-mapping by normalised name) and :func:`apply_mapping` compiles the result to
  native Spark Columns: target-shaped columns plus ``_errors`` and ``_warnings`` arrays of
  ``struct<code, field, message>``.

Example:
    >>> plan = resolve_mapping(mapping, schema, ["loyalty_id", "first_name"])
    >>> out = apply_mapping(source_df, plan, schema, resolver)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobs.config import (
    MAX_IDENTITY_LENGTH,
    NUMERIC_TYPES,
    PRIMITIVE_TYPES,
    FieldSpec,
    MappingEntry,
    MappingSpec,
    SchemaSpec,
    iter_leaves,
)
from jobs.transforms import expressions as ex

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import types as T

_SOURCE_PATH = re.compile(r"^[^.\[\]]+(\[[0-9]+\])?(\.[^.\[\]]+(\[[0-9]+\])?)*$")
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# which coarse expression kinds may feed which target types (SEMANTICS.md conversion table)
_KIND_TARGETS = {
    ex.STRING: set(PRIMITIVE_TYPES),
    ex.NUMBER: {*NUMERIC_TYPES, "string", "date", "datetime"},
    ex.BOOLEAN: {"boolean", "string"},
    ex.DATETIME: {"datetime", "date", "string"},
    ex.DATE: {"date", "datetime", "string"},
    ex.ANY: set(PRIMITIVE_TYPES) | {"array", "map"},
}


def normalise(name: str) -> str:
    """Name as auto-mapping compares it: lower case, without ``_``, ``-``, spaces and dots."""
    return re.sub(r"[\s_\-.]", "", name).lower()


def mappable_targets(schema: SchemaSpec) -> dict[str, FieldSpec]:
    """Every path a mapping entry may set: primitive leaves, arrays and maps."""
    return dict(iter_leaves(schema.fields))


def _constant_kind(value: Any) -> str:
    if isinstance(value, bool):
        return ex.BOOLEAN
    if isinstance(value, int | float):
        return ex.NUMBER
    return ex.STRING


def check_mapping(mapping: MappingSpec, schema: SchemaSpec, file: str) -> list[str]:
    """Validate a mapping against its schema without Spark; one problem per line."""
    problems: list[str] = []
    targets = mappable_targets(schema)
    seen: dict[str, int] = {}
    for i, entry in enumerate(mapping.fields):
        where = f"{file}: fields[{i}]"
        spec = targets.get(entry.target)
        if spec is None:
            close = difflib.get_close_matches(entry.target, list(targets), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; fields are: {', '.join(targets)}"
            problems.append(f"{where}.target: {entry.target!r} is not a field of schema {schema.name or '?'}{hint}")
            continue
        if entry.target in seen:
            problems.append(f"{where}.target: {entry.target!r} is already set by fields[{seen[entry.target]}]; keep one entry")
        seen[entry.target] = i
        if (entry.format or entry.unit) and spec.type not in ("date", "datetime"):
            problems.append(f"{where}: 'format'/'unit' apply to date and datetime fields, {entry.target!r} is {spec.type}")
        if entry.timezone and spec.type not in ("date", "datetime"):
            problems.append(f"{where}.timezone: applies to date and datetime fields, {entry.target!r} is {spec.type}")
        if entry.source is not None and not _SOURCE_PATH.match(entry.source):
            problems.append(f"{where}.source: {entry.source!r} is not a source path (use a.b or items[0].sku)")
        if entry.expression is not None:
            expr_problems, _ = ex.check_expression(entry.expression)
            problems.extend(f"{where}.expression: {p}" for p in expr_problems)
            if not expr_problems:
                kind = ex.result_kind(entry.expression)
                if spec.type not in _KIND_TARGETS[kind]:
                    problems.append(
                        f"{where}.expression: gives a {kind} but {entry.target!r} is {spec.type}; "
                        "convert it (for example to_string(), to_integer(), to_datetime())"
                    )
        if entry.value is not None:
            kind = _constant_kind(entry.value)
            if spec.type in ("array", "map", "object") or spec.type not in _KIND_TARGETS[kind]:
                problems.append(f"{where}.value: a {kind} constant cannot fill {entry.target!r} ({spec.type})")
            elif spec.enum is not None and entry.value not in spec.enum:
                problems.append(f"{where}.value: {entry.value!r} is not one of {spec.enum} allowed for {entry.target!r}")
    if not mapping.auto:
        required = [p for p, s in targets.items() if s.required and p not in seen]
        for path in required:
            problems.append(
                f"{file}: fields: required field {path!r} is not mapped; add an entry for it or set auto: true"
            )
    return problems


# --------------------------------------------------------------------------------------------
# Resolution against a batch's source fields
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingPlan:
    """Which origin fills each target for one batch, and what was auto-mapped or left out."""

    entries: dict[str, MappingEntry]
    auto_mapped: dict[str, str] = field(default_factory=dict)  # target -> source
    unmapped_sources: list[str] = field(default_factory=list)
    unmapped_targets: list[str] = field(default_factory=list)
    source_paths: list[str] = field(default_factory=list)  # every source path the plan reads

    def summary(self) -> dict[str, Any]:
        return {
            "autoMapped": dict(self.auto_mapped),
            "unmappedSourceFields": list(self.unmapped_sources),
            "unmappedTargetFields": list(self.unmapped_targets),
        }


def _strip_index(path: str) -> str:
    return re.sub(r"\[[0-9]+\]", "", path)


def resolve_mapping(mapping: MappingSpec, schema: SchemaSpec, source_fields: list[str]) -> MappingPlan:
    """Pair every target with an origin, given the source leaf paths a batch has.

    Explicit entries win; with ``auto: true`` each remaining target takes the source field whose
    normalised path (or, for top-level source names, normalised name) equals the target's.
    """
    targets = mappable_targets(schema)
    entries = {e.target: e for e in mapping.fields}
    used: set[str] = set()
    for e in mapping.fields:
        if e.source is not None:
            used.add(_strip_index(e.source))
        if e.expression is not None:
            used.update(_strip_index(p) for p in ex.check_expression(e.expression)[1])
    auto: dict[str, str] = {}
    if mapping.auto:
        by_path: dict[str, list[str]] = {}
        for src in source_fields:
            by_path.setdefault(normalise(src), []).append(src)
        for path in targets:
            if path in entries:
                continue
            candidates = by_path.get(normalise(path)) or by_path.get(normalise(path.split(".")[-1])) or []
            free = [c for c in candidates if c not in used]
            if len(free) == 1:
                auto[path] = free[0]
                used.add(free[0])
                entries[path] = MappingEntry(target=path, source=free[0])
    unmapped_sources = [s for s in source_fields if s not in used and not any(u.startswith(s + ".") or s.startswith(u + ".") for u in used)]
    unmapped_targets = [p for p in targets if p not in entries]
    reads: list[str] = []
    for e in entries.values():
        if e.source is not None:
            reads.append(e.source)
        if e.expression is not None:
            reads.extend(sorted(ex.check_expression(e.expression)[1]))
    return MappingPlan(entries, auto, unmapped_sources, unmapped_targets, list(dict.fromkeys(reads)))


# --------------------------------------------------------------------------------------------
# Compilation to Spark Columns
# --------------------------------------------------------------------------------------------

Resolver = Callable[[str], "tuple[Column, T.DataType]"]


def _error(code: str, path: str, message: Any) -> Column:
    from pyspark.sql import functions as F

    return F.struct(F.lit(code).alias("code"), F.lit(path).alias("field"), message.alias("message"))


def _shown(src: Column) -> Column:
    from pyspark.sql import functions as F

    text = F.coalesce(F.substring(src.cast("string"), 1, 120), F.lit("null"))
    return F.concat(F.lit("'"), text, F.lit("'"))


def _convert_field(src: Column, src_type: T.DataType, spec: FieldSpec, path: str,
                   entry: MappingEntry, zone: str) -> tuple[Column, list[tuple[Column, str, Column]]]:
    """Typed value for one target field and its failures as (flag, code, message)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from jobs.transforms import convert as cv

    tz = entry.timezone or zone
    if spec.type in PRIMITIVE_TYPES:
        parts = cv.convert(src, src_type, spec.type, formats=entry.formats(), timezone=tz, unit=entry.unit)
        fails = [
            (p.invalid, p.code, F.concat(F.lit("value "), _shown(src), F.lit(f" cannot become a {spec.type}"
             + (" (out of range)" if p.code == "CONVERSION_OUT_OF_RANGE" else "")
             + (" (source type does not convert)" if p.code == "CONVERSION_TYPE_MISMATCH" else ""))))
            for p in parts
        ]
        return parts[0].value, fails
    if spec.type == "array":
        assert spec.items is not None
        items = spec.items
        if not isinstance(src_type, T.ArrayType):
            if isinstance(src_type, T.StringType):
                # a scalar where a list is expected: wrap it (common in hand-made JSON)
                return _convert_field(F.when(src.isNotNull(), F.array(src)), T.ArrayType(src_type), spec, path, entry, zone)
            return F.lit(None).cast(_spark_type(spec)), [(src.isNotNull(), "CONVERSION_TYPE_MISMATCH",
                                                          F.lit(f"{path}: the source is not a list"))]
        elem_type = src_type.elementType
        if items.type == "object":
            assert items.fields is not None

            def build(x: Column) -> Column:
                cols = []
                for name, sub in items.fields.items():  # type: ignore[union-attr]
                    sub_type = elem_type[name].dataType if isinstance(elem_type, T.StructType) and name in elem_type.names else T.StringType()
                    sub_src = x[name] if isinstance(elem_type, T.StructType) and name in elem_type.names else F.lit(None).cast("string")
                    v, _ = _convert_field(sub_src, sub_type, sub, f"{path}[].{name}", MappingEntry(target=path, source="x"), zone)
                    cols.append(v.alias(name))
                return F.struct(*cols)

            def bad(x: Column) -> Column:
                flags = []
                for name, sub in items.fields.items():  # type: ignore[union-attr]
                    if isinstance(elem_type, T.StructType) and name in elem_type.names:
                        _, f = _convert_field(x[name], elem_type[name].dataType, sub, path, MappingEntry(target=path, source="x"), zone)
                        flags.extend(flag for flag, _, _ in f)
                out = F.lit(False)
                for flag in flags:
                    out = out | F.coalesce(flag, F.lit(False))
                return out

            value = F.transform(src, build)
            invalid = F.exists(src, bad)
        else:
            value = F.transform(src, lambda x: _convert_field(x, elem_type, items, path, entry, zone)[0])

            def bad_item(x: Column) -> Column:
                out = F.lit(False)
                for flag, _, _ in _convert_field(x, elem_type, items, path, entry, zone)[1]:
                    out = out | F.coalesce(flag, F.lit(False))
                return out

            invalid = F.exists(src, bad_item)
        return value, [(invalid, "CONVERSION_INVALID_ITEM", F.lit(f"an item of {path} cannot become a {items.type}"))]
    if spec.type == "map":
        values = spec.values or FieldSpec(type="string")
        if not isinstance(src_type, T.MapType):
            return F.lit(None).cast(_spark_type(spec)), [(src.isNotNull(), "CONVERSION_TYPE_MISMATCH",
                                                          F.lit(f"{path}: the source is not an object"))]
        vt = src_type.valueType
        value = F.transform_values(src, lambda _k, v: _convert_field(v, vt, values, path, entry, zone)[0])

        def bad_value(_k: Column, v: Column) -> Column:
            out = F.lit(False)
            for flag, _, _ in _convert_field(v, vt, values, path, entry, zone)[1]:
                out = out | F.coalesce(flag, F.lit(False))
            return out

        invalid = F.size(F.map_filter(src, bad_value)) > 0
        return value, [(invalid, "CONVERSION_INVALID_ITEM", F.lit(f"a value of {path} cannot become a {values.type}"))]
    raise ValueError(f"cannot convert into {spec.type}")  # pragma: no cover


def _spark_type(spec: FieldSpec) -> T.DataType:
    from jobs.model.schema import field_type

    return field_type(spec)


def _validation(value: Column, spec: FieldSpec, path: str, required: bool) -> list[tuple[Column, str, Column]]:
    """Rule failures of one converted value: (flag, code, message)."""
    from pyspark.sql import functions as F

    out: list[tuple[Column, str, Column]] = []
    present = value.isNotNull()
    if spec.enum is not None:
        allowed = ", ".join(str(v) for v in spec.enum)
        out.append((present & ~value.isin(*spec.enum), "ENUM_MISMATCH",
                    F.concat(F.lit("value "), _shown(value), F.lit(f" is not one of [{allowed}]"))))
    if spec.minimum is not None:
        out.append((present & (value < F.lit(spec.minimum)), "BELOW_MINIMUM",
                    F.concat(F.lit("value "), _shown(value), F.lit(f" is below the minimum {spec.minimum:g}"))))
    if spec.maximum is not None:
        out.append((present & (value > F.lit(spec.maximum)), "ABOVE_MAXIMUM",
                    F.concat(F.lit("value "), _shown(value), F.lit(f" is above the maximum {spec.maximum:g}"))))
    if spec.pattern is not None:
        out.append((present & ~value.rlike(spec.pattern), "PATTERN_MISMATCH",
                    F.concat(F.lit("value "), _shown(value), F.lit(f" does not match {spec.pattern}"))))
    if spec.identity is not None:
        out.append((present & (F.length(value) > MAX_IDENTITY_LENGTH), "IDENTITY_TOO_LONG",
                    F.lit(f"identity value longer than {MAX_IDENTITY_LENGTH} characters")))
        if "email" not in spec.identity.namespace.lower():
            out.append((present & value.rlike(_EMAIL), "IDENTITY_EMAIL_IN_ID",
                        F.lit(f"an email address in identity namespace {spec.identity.namespace!r}; "
                              "ids must not carry personal data")))
    return out


@dataclass(frozen=True)
class MappedColumns:
    """The compiled mapping: one Column per top-level target field plus the error arrays."""

    columns: list[Column]
    errors: Column
    warnings: Column


def compile_mapping(plan: MappingPlan, schema: SchemaSpec, resolve: Resolver, type_of: Callable[[Column], T.DataType],
                    zone: str = "UTC") -> MappedColumns:
    """Compile a mapping plan to native Columns over a source DataFrame.

    Args:
        plan: the resolved mapping.
        schema: the target schema.
        resolve: maps a source path to (Column, Spark type) on the source DataFrame.
        type_of: the Spark type of a Column over the source DataFrame (analysis only, no job).
        zone: the mapping's default time zone.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    values: dict[str, Column] = {}
    errors: list[Column] = []
    warnings: list[Column] = []
    primary = {p for p, ident in schema.identities() if ident.primary}
    implicit = {"_id", "timestamp"} if schema.class_ == "event" else set()

    for path, spec in mappable_targets(schema).items():
        required = spec.required or path in primary or path in implicit
        entry = plan.entries.get(path)
        if entry is None:
            value = F.lit(None).cast(_spark_type(spec))
            fails: list[tuple[Column, str, Column]] = []
        else:
            if entry.source is not None:
                src, src_type = resolve(entry.source)
            elif entry.value is not None:
                src, src_type = F.lit(entry.value), _literal_type(entry.value)
            else:
                assert entry.expression is not None
                src = ex.compile_expression(entry.expression, lambda p: resolve(p)[0], entry.timezone or zone)
                src_type = type_of(src)
            value, fails = _convert_field(src, src_type, spec, path, entry, zone)
        any_fail = F.lit(False)
        for flag, code, message in fails:
            flag = F.coalesce(flag, F.lit(False))
            any_fail = any_fail | flag
            (errors if required else warnings).append(F.when(flag, _error(code, path, message)))
        # a failed optional field is nulled (and warned about); a failed required one fails the row
        value = F.when(~any_fail, value)
        if required:
            errors.append(F.when(value.isNull() & ~any_fail, _error("REQUIRED_MISSING", path, F.lit(f"required field {path} is missing or empty"))))
        if spec.type in PRIMITIVE_TYPES:
            for flag, code, message in _validation(value, spec, path, required):
                errors.append(F.when(F.coalesce(flag, F.lit(False)), _error(code, path, message)))
        values[path] = value

    error_type = T.ArrayType(T.StructType([T.StructField(n, T.StringType()) for n in ("code", "field", "message")]))
    err = F.filter(F.array(*errors), lambda e: e.isNotNull()) if errors else F.array().cast(error_type)
    warn = F.filter(F.array(*warnings), lambda e: e.isNotNull()) if warnings else F.array().cast(error_type)
    return MappedColumns(_nest(schema.fields, values, ""), err, warn)


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


def apply_mapping(df: DataFrame, plan: MappingPlan, schema: SchemaSpec, resolve: Resolver, zone: str = "UTC",
                  keep: list[str] | None = None) -> DataFrame:
    """Select the target-shaped columns, ``_errors`` and ``_warnings`` (plus ``keep`` columns)."""
    compiled = compile_mapping(plan, schema, resolve, lambda c: df.select(c.alias("x")).schema["x"].dataType, zone)
    return df.select(*compiled.columns, compiled.errors.alias("_errors"), compiled.warnings.alias("_warnings"), *(keep or []))
