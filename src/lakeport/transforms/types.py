"""Dataset schemas as Spark types, and the system columns every dataset carries.

Example:
    >>> struct = to_struct_type(cfg.dataset("loyalty").schema_spec)  # doctest: +SKIP
    >>> struct["person"].dataType.simpleString()  # doctest: +SKIP
    'struct<firstName:string,lastName:string,birthDate:date,gender:string>'
"""

from __future__ import annotations

from pyspark.sql import types as T

from lakeport.spec.schema import FieldSpec, SchemaSpec

SYSTEM_COLUMNS = [
    T.StructField("_batch_id", T.StringType(), False),
    T.StructField("_ingested_at", T.TimestampType(), False),
    T.StructField("_source_file", T.StringType(), True),
]

PRIMITIVE_SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "integer": T.IntegerType(),
    "long": T.LongType(),
    "short": T.ShortType(),
    "byte": T.ByteType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "datetime": T.TimestampType(),
}


def field_type(spec: FieldSpec) -> T.DataType:
    """The Spark type of one field spec (recursive)."""
    if spec.type in PRIMITIVE_SPARK_TYPES:
        return PRIMITIVE_SPARK_TYPES[spec.type]
    if spec.type == "object":
        assert spec.fields is not None
        return T.StructType([T.StructField(n, field_type(f), True) for n, f in spec.fields.items()])
    if spec.type == "array":
        assert spec.items is not None
        return T.ArrayType(field_type(spec.items), True)
    values = spec.values or FieldSpec(type="string")
    return T.MapType(T.StringType(), field_type(values), True)


def to_struct_type(schema: SchemaSpec, *, system_columns: bool = False) -> T.StructType:
    """The dataset's Spark schema; every field nullable (``required`` is enforced by validation)."""
    fields = [T.StructField(n, field_type(f), True) for n, f in schema.fields.items()]
    if system_columns:
        fields.extend(SYSTEM_COLUMNS)
    return T.StructType(fields)
