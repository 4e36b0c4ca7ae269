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
# the conversion function to suggest when an expression's kind does not fit a target type
_CONVERT_WITH = {
    "string": "to_string()",
    "integer": "to_integer()",
    "long": "to_long()",
    "short": "to_integer()",
    "byte": "to_integer()",
    "double": "to_double()",
    "boolean": "to_boolean()",
    "date": "to_date()",
    "datetime": "to_datetime()",
}


def normalise(name: str) -> str:
    """Name as auto-mapping compares it: case-folded letters and digits only.

    Spaces, ``_``, ``-``, dots, other punctuation and a byte-order mark are dropped, so
    ``"In-Stock"``, ``"in_stock"`` and ``"IN STOCK"`` all compare equal.

    Example:
        >>> normalise("Product Name")
        'productname'
    """
    return "".join(ch for ch in name if ch.isalnum()).casefold()


def mappable_targets(schema: SchemaSpec) -> dict[str, FieldSpec]:
    """Every path a mapping entry may set: primitive leaves, arrays and maps.

    Example:
        >>> list(mappable_targets(schema))[:3]
        ['loyaltyId', 'crmId', 'person.firstName']
    """
    return dict(iter_leaves(schema.fields))


def _constant_kind(value: Any) -> str:
    if isinstance(value, bool):
        return ex.BOOLEAN
    if isinstance(value, int | float):
        return ex.NUMBER
    return ex.STRING


def _unknown_target(target: str, targets: dict[str, FieldSpec], schema_name: str) -> str:
    inside = [p for p in targets if p.startswith(target + ".")]
    if inside:
        shown = ", ".join(inside[:4]) + (", ..." if len(inside) > 4 else "")
        return f"{target!r} is an object in {schema_name}; map its fields one by one ({shown})"
    for path, spec in targets.items():
        if spec.type in ("array", "map") and target.startswith((path + ".", path + "[")):
            whole = "a source list" if spec.type == "array" else "a source object"
            article = "an" if spec.type == "array" else "a"
            return f"{target!r} is inside {path!r}, which is {article} {spec.type}; map {path!r} as a whole from {whole}"
    same = [p for p in targets if normalise(p) == normalise(target)]
    close = same or difflib.get_close_matches(target, list(targets), n=1, cutoff=0.6)
    if close:
        return f"{target!r} is not a field of {schema_name}; did you mean {close[0]!r}?"
    return f"{target!r} is not a field of {schema_name}; fields are: {', '.join(targets)}"


def _clash_advice(kind: str, target_type: str, target: str) -> str:
    """What to write when an expression's kind cannot become the target's type."""
    if target_type not in _CONVERT_WITH:
        return f"map {target!r} from a source instead"
    if kind == ex.BOOLEAN and target_type in NUMERIC_TYPES:
        return "turn the condition into a number with iif(condition, 1, 0)"
    if kind == ex.BOOLEAN:
        example = _CONVERT_WITH[target_type].replace("()", "(...)")
        return f"give an expression that yields a {target_type}, for example {example}"
    if kind in (ex.DATE, ex.DATETIME) and target_type in NUMERIC_TYPES:
        return "wrap it in epoch_millis(), or take year(), month() or day()"
    if target_type == "boolean":
        return "compare it, for example x != 0, or test it with is_null()"
    return f"wrap it in {_CONVERT_WITH[target_type]}"


def _value_problem(value: Any, spec: FieldSpec, target: str) -> str | None:
    kind = _constant_kind(value)
    if spec.type in ("array", "map", "object"):
        return f"a constant cannot fill {target!r} ({spec.type}); map it from a source instead"
    if spec.type not in _KIND_TARGETS[kind]:
        return f"a {kind} constant cannot fill {target!r} ({spec.type}); give a {spec.type} value"
    if spec.enum is not None and value not in spec.enum:
        allowed = ", ".join(str(v) for v in spec.enum)
        return f"{value!r} is not allowed for {target!r} (enum: {allowed}); use one of those or add it to the schema's enum"
    if (
        spec.pattern is not None
        and isinstance(value, str)
        and ex.regex_problem(spec.pattern) is None
    ):
        try:
            matched = re.search(spec.pattern, value) is not None
        except re.error:  # Java-only syntax that Python cannot run; Spark checks it per row
            matched = True
        if not matched:
            return f"{value!r} does not match the pattern {spec.pattern} of {target!r}; fix the constant"
    if kind == ex.NUMBER and spec.type in NUMERIC_TYPES:
        if spec.minimum is not None and value < spec.minimum:
            return (
                f"{value!r} is below the minimum {spec.minimum:g} of {target!r}; fix the constant"
            )
        if spec.maximum is not None and value > spec.maximum:
            return (
                f"{value!r} is above the maximum {spec.maximum:g} of {target!r}; fix the constant"
            )
    return None


def check_mapping(mapping: MappingSpec, schema: SchemaSpec, file: str) -> list[str]:
    """Validate a mapping against its schema without Spark; one problem per line.

    Args:
        mapping: the parsed mapping.
        schema: the schema it maps onto.
        file: the mapping file's name, the start of every line.

    Returns:
        ``file: key.path: what is wrong; what to do`` lines; empty when the mapping is valid.

    Example:
        >>> check_mapping(MappingSpec(fields=[MappingEntry(target="loyaltyid", source="id")]), schema, "m.yaml")
        ["m.yaml: fields[0].target: 'loyaltyid' is not a field of schema loyalty; did you mean 'loyaltyId'?", ...]
    """
    problems: list[str] = []
    targets = mappable_targets(schema)
    schema_name = f"schema {schema.name}" if schema.name else "the schema"
    seen: dict[str, int] = {}
    for i, entry in enumerate(mapping.fields):
        where = f"{file}: fields[{i}]"
        spec = targets.get(entry.target)
        if spec is None:
            problems.append(
                f"{where}.target: {_unknown_target(entry.target, targets, schema_name)}"
            )
            continue
        if entry.target in seen:
            problems.append(
                f"{where}.target: {entry.target!r} is already set by fields[{seen[entry.target]}]; keep one entry"
            )
        else:
            seen[entry.target] = i
        if spec.type not in ("date", "datetime"):
            for key in ("format", "unit", "timezone"):
                if getattr(entry, key) is not None:
                    problems.append(
                        f"{where}.{key}: applies to date and datetime fields, but {entry.target!r} is {spec.type}; remove it"
                    )
        if entry.source is not None and not _SOURCE_PATH.match(entry.source):
            problems.append(
                f"{where}.source: {entry.source!r} is not a source path; write a name, a.b or items[0].sku"
            )
        if entry.expression is not None:
            expr_problems, _ = ex.check_expression(entry.expression)
            problems.extend(f"{where}.expression: {p}" for p in expr_problems)
            if not expr_problems:
                kind = ex.result_kind(entry.expression)
                if spec.type not in _KIND_TARGETS[kind]:
                    advice = _clash_advice(kind, spec.type, entry.target)
                    problems.append(
                        f"{where}.expression: gives a {kind} but {entry.target!r} is {spec.type}; {advice}"
                    )
        if entry.value is not None:
            problem = _value_problem(entry.value, spec, entry.target)
            if problem:
                problems.append(f"{where}.value: {problem}")
    if not mapping.auto:
        primary = {p for p, ident in schema.identities() if ident.primary}
        implicit = {"_id", "timestamp"} if schema.class_ == "event" else set()
        for path, spec in targets.items():
            if path in seen:
                continue
            if spec.required:
                why = ""
            elif path in primary:
                why = " (the primary identity)"
            elif path in implicit:
                why = " (every event needs it)"
            else:
                continue
            problems.append(
                f"{file}: fields: required field {path!r}{why} is not mapped; add an entry for it or set auto: true"
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


def resolve_mapping(
    mapping: MappingSpec, schema: SchemaSpec, source_fields: list[str]
) -> MappingPlan:
    """Pair every target with an origin, given the source leaf paths a batch has.

    Explicit entries win. With ``auto: true`` each remaining target takes the one free source
    field whose normalised path equals the target's; then targets still open take the one free
    top-level source whose normalised name equals their last path segment, unless another open
    target has the same last segment. Two candidates for one target are ambiguous: neither is
    mapped, both are reported as unmapped. Source names compare case-insensitively, as Spark does.

    Example:
        >>> plan = resolve_mapping(MappingSpec(auto=True), products, ["SKU", "Product Name"])
        >>> plan.auto_mapped
        {'sku': 'SKU', 'productName': 'Product Name'}
    """
    targets = mappable_targets(schema)
    entries = {e.target: e for e in mapping.fields}
    used: set[str] = set()  # lower-cased source paths without indexes
    for e in mapping.fields:
        if e.source is not None:
            used.add(_strip_index(e.source).lower())
        if e.expression is not None:
            used.update(_strip_index(p).lower() for p in ex.check_expression(e.expression)[1])
    auto: dict[str, str] = {}
    if mapping.auto:
        by_path: dict[str, list[str]] = {}
        for src in source_fields:
            by_path.setdefault(normalise(src), []).append(src)

        def take(path: str, key: str) -> None:
            free = [c for c in by_path.get(key, []) if c.lower() not in used]
            if len(free) == 1:
                auto[path] = free[0]
                used.add(free[0].lower())
                entries[path] = MappingEntry(target=path, source=free[0])

        for path in targets:
            if path not in entries:
                take(path, normalise(path))
        open_targets = [p for p in targets if p not in entries and "." in p]
        last = [normalise(p.rsplit(".", 1)[-1]) for p in open_targets]
        for path, key in zip(open_targets, last, strict=True):
            if last.count(key) == 1:
                take(path, key)
        auto = {p: auto[p] for p in targets if p in auto}

    def is_used(src: str) -> bool:
        s = src.lower()
        return s in used or any(u.startswith(s + ".") or s.startswith(u + ".") for u in used)

    unmapped_sources = [s for s in source_fields if not is_used(s)]
    unmapped_targets = [p for p in targets if p not in entries]
    reads: list[str] = []
    for e in entries.values():
        if e.source is not None:
            reads.append(e.source)
        if e.expression is not None:
            reads.extend(sorted(ex.check_expression(e.expression)[1]))
    return MappingPlan(
        entries, auto, unmapped_sources, unmapped_targets, list(dict.fromkeys(reads))
    )


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


def _convert_field(
    src: Column,
    src_type: T.DataType,
    spec: FieldSpec,
    path: str,
    entry: MappingEntry,
    zone: str,
    *,
    deferred: dict[int, Callable[[Column], Column]] | None = None,
) -> tuple[Column, list[tuple[Column, str, Column]]]:
    """Typed value for one target field and its failures as (flag, code, message).

    With ``deferred``, a failure flag that can be computed from the materialised value is also
    put there (by its index in the list), so the caller can avoid evaluating the conversion twice.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from jobs.transforms import convert as cv

    tz = entry.timezone or zone
    if spec.type in PRIMITIVE_TYPES:
        parts = cv.convert(
            src, src_type, spec.type, formats=entry.formats(), timezone=tz, unit=entry.unit
        )
        fails = [
            (
                p.invalid,
                p.code,
                F.concat(
                    F.lit("value "),
                    _shown(src),
                    F.lit(
                        f" cannot become a {spec.type}"
                        + (" (out of range)" if p.code == "CONVERSION_OUT_OF_RANGE" else "")
                        + (
                            " (source type does not convert)"
                            if p.code == "CONVERSION_TYPE_MISMATCH"
                            else ""
                        )
                    ),
                ),
            )
            for p in parts
        ]
        if deferred is not None:
            deferred.update({k: p.invalid_from for k, p in enumerate(parts) if p.invalid_from})
        return parts[0].value, fails
    if spec.type == "array":
        assert spec.items is not None
        items = spec.items
        if not isinstance(src_type, T.ArrayType):
            if isinstance(src_type, T.StringType):
                # a scalar where a list is expected: wrap it (common in hand-made JSON)
                return _convert_field(
                    F.when(src.isNotNull(), F.array(src)),
                    T.ArrayType(src_type),
                    spec,
                    path,
                    entry,
                    zone,
                )
            return F.lit(None).cast(_spark_type(spec)), [
                (
                    src.isNotNull(),
                    "CONVERSION_TYPE_MISMATCH",
                    F.lit(f"{path}: the source is not a list"),
                )
            ]
        elem_type = src_type.elementType
        if items.type == "object":
            assert items.fields is not None

            def build(x: Column) -> Column:
                cols = []
                for name, sub in items.fields.items():  # type: ignore[union-attr]
                    sub_type = (
                        elem_type[name].dataType
                        if isinstance(elem_type, T.StructType) and name in elem_type.names
                        else T.StringType()
                    )
                    sub_src = (
                        x[name]
                        if isinstance(elem_type, T.StructType) and name in elem_type.names
                        else F.lit(None).cast("string")
                    )
                    v, _ = _convert_field(
                        sub_src,
                        sub_type,
                        sub,
                        f"{path}[].{name}",
                        MappingEntry(target=path, source="x"),
                        zone,
                    )
                    cols.append(v.alias(name))
                return F.struct(*cols)

            def bad(x: Column) -> Column:
                flags: list[Column] = []
                for name, sub in items.fields.items():  # type: ignore[union-attr]
                    if isinstance(elem_type, T.StructType) and name in elem_type.names:
                        _, f = _convert_field(
                            x[name],
                            elem_type[name].dataType,
                            sub,
                            path,
                            MappingEntry(target=path, source="x"),
                            zone,
                        )
                        flags.extend(flag for flag, _, _ in f)
                out = F.lit(False)
                for flag in flags:
                    out = out | F.coalesce(flag, F.lit(False))
                return out

            value = F.transform(src, build)
            invalid = F.exists(src, bad)
        else:
            value = F.transform(
                src, lambda x: _convert_field(x, elem_type, items, path, entry, zone)[0]
            )

            def bad_item(x: Column) -> Column:
                out = F.lit(False)
                for flag, _, _ in _convert_field(x, elem_type, items, path, entry, zone)[1]:
                    out = out | F.coalesce(flag, F.lit(False))
                return out

            invalid = F.exists(src, bad_item)
        return value, [
            (
                invalid,
                "CONVERSION_INVALID_ITEM",
                F.lit(f"an item of {path} cannot become a {items.type}"),
            )
        ]
    if spec.type == "map":
        values = spec.values or FieldSpec(type="string")
        if not isinstance(src_type, T.MapType):
            return F.lit(None).cast(_spark_type(spec)), [
                (
                    src.isNotNull(),
                    "CONVERSION_TYPE_MISMATCH",
                    F.lit(f"{path}: the source is not an object"),
                )
            ]
        vt = src_type.valueType
        value = F.transform_values(
            src, lambda _k, v: _convert_field(v, vt, values, path, entry, zone)[0]
        )

        def bad_value(_k: Column, v: Column) -> Column:
            out = F.lit(False)
            for flag, _, _ in _convert_field(v, vt, values, path, entry, zone)[1]:
                out = out | F.coalesce(flag, F.lit(False))
            return out

        invalid = F.size(F.map_filter(src, bad_value)) > 0
        return value, [
            (
                invalid,
                "CONVERSION_INVALID_ITEM",
                F.lit(f"a value of {path} cannot become a {values.type}"),
            )
        ]
    raise ValueError(f"cannot convert into {spec.type}")  # pragma: no cover


def _spark_type(spec: FieldSpec) -> T.DataType:
    from jobs.model.schema import field_type

    return field_type(spec)


def _validation(
    value: Column, spec: FieldSpec, path: str, required: bool
) -> list[tuple[Column, str, Column]]:
    """Rule failures of one converted value: (flag, code, message)."""
    from pyspark.sql import functions as F

    out: list[tuple[Column, str, Column]] = []
    present = value.isNotNull()
    if spec.enum is not None:
        allowed = ", ".join(str(v) for v in spec.enum)
        out.append(
            (
                present & ~value.isin(*spec.enum),
                "ENUM_MISMATCH",
                F.concat(F.lit("value "), _shown(value), F.lit(f" is not one of [{allowed}]")),
            )
        )
    if spec.minimum is not None:
        out.append(
            (
                present & (value < F.lit(spec.minimum)),
                "BELOW_MINIMUM",
                F.concat(
                    F.lit("value "), _shown(value), F.lit(f" is below the minimum {spec.minimum:g}")
                ),
            )
        )
    if spec.maximum is not None:
        out.append(
            (
                present & (value > F.lit(spec.maximum)),
                "ABOVE_MAXIMUM",
                F.concat(
                    F.lit("value "), _shown(value), F.lit(f" is above the maximum {spec.maximum:g}")
                ),
            )
        )
    if spec.pattern is not None:
        out.append(
            (
                present & ~value.rlike(spec.pattern),
                "PATTERN_MISMATCH",
                F.concat(F.lit("value "), _shown(value), F.lit(f" does not match {spec.pattern}")),
            )
        )
    if spec.identity is not None:
        out.append(
            (
                present & (F.length(value) > MAX_IDENTITY_LENGTH),
                "IDENTITY_TOO_LONG",
                F.lit(f"identity value longer than {MAX_IDENTITY_LENGTH} characters"),
            )
        )
        if "email" not in spec.identity.namespace.lower():
            out.append(
                (
                    present & F.contains(value, F.lit("@")) & value.rlike(_EMAIL),
                    "IDENTITY_EMAIL_IN_ID",
                    F.lit(
                        f"an email address in identity namespace {spec.identity.namespace!r}; "
                        "ids must not carry personal data"
                    ),
                )
            )
    return out


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
) -> MappedColumns:
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
            values[path] = F.lit(None).cast(_spark_type(spec))
            if required:
                errors.append(
                    _error(
                        "REQUIRED_MISSING",
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
            src = ex.compile_expression(
                entry.expression, lambda p: resolve(p)[0], entry.timezone or zone
            )
            src_type = type_of(src)
        deferred: dict[int, Callable[[Column], Column]] = {}
        value, fails = _convert_field(src, src_type, spec, path, entry, zone, deferred=deferred)
        stage1.append(value.alias(f"__v{i}"))
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
            (errors if required else warnings).append(F.when(failed, _error(code, path, message)))
        # a failed optional field is nulled (and warned about); a failed required one fails the row
        nulled = F.when(~any_fail, F.col(f"__v{i}")) if fails else F.col(f"__v{i}")
        if required:
            errors.append(
                F.when(
                    nulled.isNull() & ~any_fail,
                    _error(
                        "REQUIRED_MISSING",
                        path,
                        F.lit(f"required field {path} is missing or empty"),
                    ),
                )
            )
        if spec.type in PRIMITIVE_TYPES:
            for flag, code, message in _validation(nulled, spec, path, required):
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
) -> DataFrame:
    """Select the target-shaped columns, ``_errors`` and ``_warnings`` (plus ``keep`` columns)."""
    compiled = compile_mapping(
        plan, schema, resolve, lambda c: df.select(c.alias("x")).schema["x"].dataType, zone
    )
    converted = df.select("*", *compiled.stage1)
    return converted.select(*compiled.stage2, *(keep or []))
