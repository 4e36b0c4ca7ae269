"""One source value -> one target field: the typed value and its failures, as native Columns.

Primitive fields go through :mod:`lakeport.transforms.convert`; arrays and maps convert every item
(``transform``/``transform_values``) and fail as a whole (``CONVERSION_INVALID_ITEM``).

The mapping engine converts a primitive field in steps (:func:`primitive_parts`: the trimmed
text, the one costly expression, the final value, the flags); :func:`convert_field` gives the
same conversion as single expressions.

Example:
    >>> value, fails = convert_field(F.col("ts"), T.StringType(), FieldSpec(type="datetime"), "ts", PLAIN, "UTC")  # doctest: +SKIP
"""

from __future__ import annotations

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
    text = F.coalesce(F.substring(src.cast("string"), 1, 120), F.lit("null"))
    return F.concat(F.lit("'"), text, F.lit("'"))


def failure_message(src: Column, target: str, code: str) -> Column:
    """``value '<source>' cannot become a <target>`` (and why), for a failed conversion."""
    why = ""
    if code == ErrorCode.CONVERSION_OUT_OF_RANGE.value:
        why = " (out of range)"
    elif code == ErrorCode.CONVERSION_TYPE_MISMATCH.value:
        why = " (source type does not convert)"
    return F.concat(F.lit("value "), shown(src), F.lit(f" cannot become a {target}{why}"))


def note_message(src: Column, message: Column) -> Column:
    """``value '<source>' <what the note says>``."""
    return F.concat(F.lit("value "), shown(src), F.lit(" "), message)


def primitive_parts(
    src: Column,
    src_type: T.DataType,
    spec: FieldSpec,
    how: Parsing,
    zone: str,
    text: Column | None = None,
) -> list[cv.Converted]:
    """The conversion of a primitive field (:func:`lakeport.transforms.convert.convert`);
    ``text`` is its :func:`~lakeport.transforms.convert.source_text`, as a column."""
    return cv.convert(
        src,
        src_type,
        spec.type,
        formats=list(how.formats),
        timezone=how.timezone or zone,
        unit=how.unit,
        text=text,
    )


def convert_field(
    src: Column,
    src_type: T.DataType,
    spec: FieldSpec,
    path: str,
    how: Parsing,
    zone: str,
) -> tuple[Column, list[tuple[Column, str, Column]]]:
    """Typed value for one target field and its failures as (flag, code, message), each a
    single expression (arrays and maps convert their items inside ``transform``)."""
    if spec.type in PRIMITIVE_TYPES:
        parts = primitive_parts(src, src_type, spec, how, zone)
        fails = [(p.invalid, p.code, failure_message(src, spec.type, p.code)) for p in parts]
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
