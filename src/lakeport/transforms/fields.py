"""One source value -> one target field: the typed value and its failures, as native Columns.

Primitive fields go through :mod:`lakeport.transforms.convert`; arrays and maps convert every item
(``transform``/``transform_values``) and fail as a whole (``CONVERSION_INVALID_ITEM``).

Example:
    >>> value, fails = convert_field(F.col("ts"), T.StringType(), FieldSpec(type="datetime"), "ts", PLAIN, "UTC")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeport.errors import ErrorCode
from lakeport.spec.schema import PRIMITIVE_TYPES, FieldSpec
from lakeport.transforms import convert as cv
from lakeport.transforms.types import field_type

if TYPE_CHECKING:
    from pyspark.sql import Column


class Parsing(NamedTuple):
    """How a mapping entry reads datetimes: declared formats, zone for local times, epoch unit."""

    formats: tuple[str, ...] = ()
    timezone: str | None = None
    unit: str | None = None


PLAIN = Parsing()


def shown(src: Column) -> Column:
    from pyspark.sql import functions as F

    text = F.coalesce(F.substring(src.cast("string"), 1, 120), F.lit("null"))
    return F.concat(F.lit("'"), text, F.lit("'"))


def convert_field(
    src: Column,
    src_type: T.DataType,
    spec: FieldSpec,
    path: str,
    how: Parsing,
    zone: str,
    *,
    deferred: dict[int, Callable[[Column], Column]] | None = None,
    notes: list[tuple[Column, str, Column]] | None = None,
) -> tuple[Column, list[tuple[Column, str, Column]]]:
    """Typed value for one target field and its failures as (flag, code, message).

    With ``deferred``, a failure flag that can be computed from the materialised value is also
    put there (by its index in the list), so the caller can avoid evaluating the conversion twice.
    With ``notes``, the warnings about a primitive value that lands (an epoch value in a suspect
    unit, a local time in a DST gap or overlap) are added there as (flag, code, message); items
    of arrays and values of maps carry none.
    """
    tz = how.timezone or zone
    if spec.type in PRIMITIVE_TYPES:
        parts = cv.convert(
            src, src_type, spec.type, formats=list(how.formats), timezone=tz, unit=how.unit
        )
        fails = [
            (
                p.invalid,
                p.code,
                F.concat(
                    F.lit("value "),
                    shown(src),
                    F.lit(
                        f" cannot become a {spec.type}"
                        + (
                            " (out of range)"
                            if p.code == ErrorCode.CONVERSION_OUT_OF_RANGE.value
                            else ""
                        )
                        + (
                            " (source type does not convert)"
                            if p.code == ErrorCode.CONVERSION_TYPE_MISMATCH.value
                            else ""
                        )
                    ),
                ),
            )
            for p in parts
        ]
        if deferred is not None:
            deferred.update({k: p.invalid_from for k, p in enumerate(parts) if p.invalid_from})
        if notes is not None:
            notes.extend(
                (n.flag, n.code, F.concat(F.lit("value "), shown(src), F.lit(" "), n.message))
                for p in parts
                for n in p.notes
            )
        return parts[0].value, fails
    if spec.type == "array":
        assert spec.items is not None
        items = spec.items
        if not isinstance(src_type, T.ArrayType):
            if isinstance(src_type, T.StringType):
                # a scalar where a list is expected: wrap it (common in hand-made JSON)
                return convert_field(
                    F.when(src.isNotNull(), F.array(src)),
                    T.ArrayType(src_type),
                    spec,
                    path,
                    how,
                    zone,
                )
            return F.lit(None).cast(field_type(spec)), [
                (
                    src.isNotNull(),
                    ErrorCode.CONVERSION_TYPE_MISMATCH.value,
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
                    v, _ = convert_field(
                        sub_src,
                        sub_type,
                        sub,
                        f"{path}[].{name}",
                        PLAIN,
                        zone,
                    )
                    cols.append(v.alias(name))
                return F.struct(*cols)

            def bad(x: Column) -> Column:
                flags: list[Column] = []
                for name, sub in items.fields.items():  # type: ignore[union-attr]
                    if isinstance(elem_type, T.StructType) and name in elem_type.names:
                        _, f = convert_field(
                            x[name],
                            elem_type[name].dataType,
                            sub,
                            path,
                            PLAIN,
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
                src, lambda x: convert_field(x, elem_type, items, path, how, zone)[0]
            )

            def bad_item(x: Column) -> Column:
                out = F.lit(False)
                for flag, _, _ in convert_field(x, elem_type, items, path, how, zone)[1]:
                    out = out | F.coalesce(flag, F.lit(False))
                return out

            invalid = F.exists(src, bad_item)
        return value, [
            (
                invalid,
                ErrorCode.CONVERSION_INVALID_ITEM.value,
                F.lit(f"an item of {path} cannot become a {items.type}"),
            )
        ]
    if spec.type == "map":
        values = spec.values or FieldSpec(type="string")
        if not isinstance(src_type, T.MapType):
            return F.lit(None).cast(field_type(spec)), [
                (
                    src.isNotNull(),
                    ErrorCode.CONVERSION_TYPE_MISMATCH.value,
                    F.lit(f"{path}: the source is not an object"),
                )
            ]
        vt = src_type.valueType
        value = F.transform_values(
            src, lambda _k, v: convert_field(v, vt, values, path, how, zone)[0]
        )

        def bad_value(_k: Column, v: Column) -> Column:
            out = F.lit(False)
            for flag, _, _ in convert_field(v, vt, values, path, how, zone)[1]:
                out = out | F.coalesce(flag, F.lit(False))
            return out

        invalid = F.size(F.map_filter(src, bad_value)) > 0
        return value, [
            (
                invalid,
                ErrorCode.CONVERSION_INVALID_ITEM.value,
                F.lit(f"a value of {path} cannot become a {values.type}"),
            )
        ]
    raise ValueError(f"cannot convert into {spec.type}")  # pragma: no cover
