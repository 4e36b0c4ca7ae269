"""convert() against the conversion table, and the validation rules of mapping._validation.

Each table runs as ONE Spark job: a frame with one row per case, one output column per target
(every row is converted to every target; each case reads the column of its own target). Every
case asserts the exact value and the exact list of error codes its row raised for that target.

Decisions where SEMANTICS.md is silent (the stricter reading):

* Integers from strings are digits only (optional sign, surrounding whitespace): ``2.0`` and
  ``1e3`` are not integers; a well-formed integer too wide for its type is out of range, however
  many digits it has. A double *value* (DoubleType) that is whole does convert (2.0 -> 2).
* Doubles from strings are decimal or exponent notation only. Spark's cast also takes ``12d``,
  ``1f``, ``NaN`` and ``Infinity``; those are not numbers in JSON or CSV data.
* ``1`` / ``0`` are not booleans (SEMANTICS.md lists the words; digits are not among them).
* Enum matching is exact (case-sensitive).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeport.config.plan import resolve_mapping
from lakeport.pipeline.mapping import apply_mapping
from lakeport.spec.mapping import MappingSpec
from lakeport.spec.schema import SchemaSpec
from lakeport.transforms.convert import INTEGER_RANGES, convert

pytestmark = pytest.mark.spark

NUMBER = "CONVERSION_INVALID_NUMBER"
RANGE = "CONVERSION_OUT_OF_RANGE"
BOOLEAN = "CONVERSION_INVALID_BOOLEAN"
MISMATCH = "CONVERSION_TYPE_MISMATCH"
TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"

# output column -> (lakeport target type, convert() keyword arguments)
TARGETS: dict[str, tuple[str, dict[str, Any]]] = {
    "byte": ("byte", {}),
    "short": ("short", {}),
    "integer": ("integer", {}),
    "long": ("long", {}),
    "double": ("double", {}),
    "boolean": ("boolean", {}),
    "string": ("string", {}),
    "datetime": ("datetime", {}),
    "datetime_seconds": ("datetime", {"unit": "seconds"}),
    "datetime_ny": ("datetime", {"timezone": "America/New_York"}),
    "date": ("date", {}),
    "date_seconds": ("date", {"unit": "seconds"}),
}

MAX_INT, MIN_INT = 2**31 - 1, -(2**31)
MAX_LONG = 2**53 - 1

# (case id, string input, output column, expected value, expected codes)
STRING_CASES: list[tuple[str, str | None, str, Any, tuple[str, ...]]] = [
    # integer: 32-bit range edges
    ("int_max", "2147483647", "integer", MAX_INT, ()),
    ("int_max_plus_1", "2147483648", "integer", None, (RANGE,)),
    ("int_min", "-2147483648", "integer", MIN_INT, ()),
    ("int_min_minus_1", "-2147483649", "integer", None, (RANGE,)),
    ("int_spaces", " 42\t", "integer", 42, ()),
    ("int_plus_sign", "+42", "integer", 42, ()),
    ("int_leading_zeros", "0" * 40 + "7", "integer", 7, ()),
    ("int_40_digits", "9" * 40, "integer", None, (RANGE,)),
    ("int_fraction", "12.5", "integer", None, (NUMBER,)),
    ("int_whole_fraction", "2.0", "integer", None, (NUMBER,)),
    ("int_exponent", "1e3", "integer", None, (NUMBER,)),
    ("int_hex", "0x1A", "integer", None, (NUMBER,)),
    ("int_inner_space", "1 000", "integer", None, (NUMBER,)),
    ("int_text", "abc", "integer", None, (NUMBER,)),
    ("int_empty", "", "integer", None, ()),
    ("int_blank", "  ", "integer", None, ()),
    ("int_null", None, "integer", None, ()),
    # long: capped at 2^53-1
    ("long_max", "9007199254740991", "long", MAX_LONG, ()),
    ("long_max_plus_1", "9007199254740992", "long", None, (RANGE,)),
    ("long_min", "-9007199254740991", "long", -MAX_LONG, ()),
    ("long_min_minus_1", "-9007199254740992", "long", None, (RANGE,)),
    ("long_java_max", "9223372036854775807", "long", None, (RANGE,)),
    # short and byte
    ("short_max", "32767", "short", 32767, ()),
    ("short_max_plus_1", "32768", "short", None, (RANGE,)),
    ("short_min", "-32768", "short", -32768, ()),
    ("short_min_minus_1", "-32769", "short", None, (RANGE,)),
    ("byte_max", "127", "byte", 127, ()),
    ("byte_max_plus_1", "128", "byte", None, (RANGE,)),
    ("byte_min", "-128", "byte", -128, ()),
    ("byte_min_minus_1", "-129", "byte", None, (RANGE,)),
    ("byte_text", "abc", "byte", None, (NUMBER,)),
    # double
    ("double_exponent", "1e3", "double", 1000.0, ()),
    ("double_negative_exponent", "-2.5E-3", "double", -0.0025, ()),
    ("double_fraction", "12.5", "double", 12.5, ()),
    ("double_leading_dot", ".5", "double", 0.5, ()),
    ("double_spaces", " 3.25 ", "double", 3.25, ()),
    ("double_integer", "42", "double", 42.0, ()),
    ("double_text", "abc", "double", None, (NUMBER,)),
    ("double_java_suffix", "12d", "double", None, (NUMBER,)),
    ("double_nan", "NaN", "double", None, (NUMBER,)),
    ("double_infinity", "Infinity", "double", None, (NUMBER,)),
    ("double_overflow", "1e400", "double", None, (RANGE,)),
    ("double_empty", "", "double", None, ()),
    # boolean words, any case
    *[(f"bool_{w}", w, "boolean", True, ()) for w in ("true", "TRUE", "True", "yes", "YES", "y")],
    *[(f"bool_{w}", w, "boolean", True, ()) for w in ("Y", "on", "ON", "oN")],
    *[(f"bool_{w}", w, "boolean", False, ()) for w in ("false", "False", "no", "NO", "n", "N")],
    *[(f"bool_{w}", w, "boolean", False, ()) for w in ("off", "OFF")],
    ("bool_spaces", " yes ", "boolean", True, ()),
    ("bool_maybe", "maybe", "boolean", None, (BOOLEAN,)),
    ("bool_one", "1", "boolean", None, (BOOLEAN,)),
    ("bool_zero", "0", "boolean", None, (BOOLEAN,)),
    ("bool_t", "t", "boolean", None, (BOOLEAN,)),
    ("bool_empty", "", "boolean", None, ()),
    ("bool_null", None, "boolean", None, ()),
    # string -> string, date and datetime (the datetime table is tests/spark/test_datetimes.py)
    ("string_kept", " as is ", "string", " as is ", ()),
    (
        "datetime_offset",
        "2018-07-10T15:05:59.000-08:00",
        "datetime",
        "2018-07-10T23:05:59.000000",
        (),
    ),
    ("datetime_garbage", "soon", "datetime", None, ("CONVERSION_INVALID_DATETIME",)),
    ("date_iso", "2018-07-10", "date", "2018-07-10", ()),
    ("date_epoch_millis", "1531263959000", "date", "2018-07-10", ()),
    ("date_epoch_seconds_unit", "1531263959", "date_seconds", "2018-07-10", ()),
    ("date_feb30", "2018-02-30", "date", None, ("CONVERSION_INVALID_DATE",)),
]

UTC_INSTANT = datetime(2018, 7, 10, 23, 5, 59, 123456, tzinfo=timezone.utc)

# (case id, source column, input, output column, expected value, expected codes)
TYPED_CASES: list[tuple[str, str, Any, str, Any, tuple[str, ...]]] = [
    # long -> datetime / date: epoch milliseconds (seconds with unit)
    ("long_to_datetime", "long", 1531263959000, "datetime", "2018-07-10T23:05:59.000000", ()),
    (
        "long_to_datetime_negative",
        "long",
        -1000000000000,
        "datetime",
        "1938-04-24T22:13:20.000000",
        (),
    ),
    ("long_to_datetime_past_9999", "long", 253402300800000, "datetime", None, (RANGE,)),
    (
        "long_to_datetime_seconds",
        "long",
        1531263959,
        "datetime_seconds",
        "2018-07-10T23:05:59.000000",
        (),
    ),
    ("long_to_date", "long", 1531263959000, "date", "2018-07-10", ()),
    ("long_to_date_past_9999", "long", 253402300800000, "date", None, (RANGE,)),
    ("int_to_datetime", "int", 1000, "datetime", "1970-01-01T00:00:01.000000", ()),
    ("long_null_to_datetime", "long", None, "datetime", None, ()),
    # integral -> integral, double, string
    ("long_to_int_max", "long", MAX_INT, "integer", MAX_INT, ()),
    ("long_to_int_overflow", "long", MAX_INT + 1, "integer", None, (RANGE,)),
    ("long_to_long_over_2_53", "long", MAX_LONG + 1, "long", None, (RANGE,)),
    ("int_to_byte_overflow", "int", 128, "byte", None, (RANGE,)),
    ("long_to_double", "long", 42, "double", 42.0, ()),
    ("long_to_string_exact", "long", 9007199254740993, "string", "9007199254740993", ()),
    ("int_to_string", "int", -5, "string", "-5", ()),
    ("long_to_boolean", "long", 1, "boolean", None, (MISMATCH,)),
    # double -> integral: whole values only, in range
    ("double_whole_to_int", "double", 2.0, "integer", 2, ()),
    ("double_negative_whole_to_int", "double", -7.0, "integer", -7, ()),
    ("double_fraction_to_int", "double", 2.5, "integer", None, (NUMBER,)),
    ("double_too_big_for_int", "double", 3e10, "integer", None, (RANGE,)),
    ("double_huge_to_int", "double", 1e300, "integer", None, (RANGE,)),
    ("double_nan_to_int", "double", float("nan"), "integer", None, (NUMBER,)),
    ("double_inf_to_int", "double", float("inf"), "integer", None, (RANGE,)),
    ("double_to_long_edge", "double", float(2**53 - 2), "long", 2**53 - 2, ()),
    ("double_to_long_over_2_53", "double", float(2**53), "long", None, (RANGE,)),
    ("double_to_byte_max", "double", 127.0, "byte", 127, ()),
    ("double_to_byte_overflow", "double", 128.0, "byte", None, (RANGE,)),
    ("double_to_double", "double", 1.5, "double", 1.5, ()),
    ("double_to_string", "double", 1.5, "string", "1.5", ()),
    ("double_to_datetime", "double", 1531263959000.0, "datetime", None, (MISMATCH,)),
    ("double_null_to_int", "double", None, "integer", None, ()),
    # boolean -> boolean and string only
    ("boolean_to_int", "boolean", True, "integer", None, (MISMATCH,)),
    ("boolean_null_to_int", "boolean", None, "integer", None, ()),
    ("boolean_to_double", "boolean", False, "double", None, (MISMATCH,)),
    ("boolean_to_boolean", "boolean", False, "boolean", False, ()),
    ("boolean_to_string", "boolean", True, "string", "true", ()),
    # timestamp and date
    ("timestamp_to_string", "timestamp", UTC_INSTANT, "string", "2018-07-10T23:05:59.123456Z", ()),
    (
        "timestamp_to_datetime",
        "timestamp",
        UTC_INSTANT,
        "datetime",
        "2018-07-10T23:05:59.123456",
        (),
    ),
    ("timestamp_to_date", "timestamp", UTC_INSTANT, "date", "2018-07-10", ()),
    ("timestamp_to_int", "timestamp", UTC_INSTANT, "integer", None, (MISMATCH,)),
    ("date_to_string", "date", date(2018, 7, 10), "string", "2018-07-10", ()),
    ("date_to_datetime", "date", date(2018, 7, 10), "datetime", "2018-07-10T00:00:00.000000", ()),
    (
        "date_to_datetime_in_zone",
        "date",
        date(2018, 7, 10),
        "datetime_ny",
        "2018-07-10T04:00:00.000000",
        (),
    ),
]

TYPED_SOURCES: dict[str, T.DataType] = {
    "long": T.LongType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
    "date": T.DateType(),
}


def _outputs(src: Column, src_type: T.DataType, name: str) -> list[Column]:
    """``<name>`` (the value, timestamps and dates as text) and ``<name>__codes`` (raised codes)."""
    target, kwargs = TARGETS[name]
    parts = convert(src, src_type, target, **kwargs)
    value = parts[0].value
    if target in ("datetime", "date"):
        value = F.date_format(value, TS_FORMAT if target == "datetime" else "yyyy-MM-dd")
    codes = F.filter(
        F.array(*[F.when(p.invalid, F.lit(p.code)) for p in parts]), lambda c: c.isNotNull()
    )
    return [value.alias(name), codes.alias(f"{name}__codes")]


def _check(row, name: str, expected: Any, codes: tuple[str, ...]) -> None:
    assert (row[name], tuple(row[f"{name}__codes"])) == (expected, codes)
    # exact type too: 1 == 1.0 == True in Python
    assert type(row[name]) is type(expected)


@pytest.fixture(scope="module")
def string_results(spark) -> dict[str, Any]:
    rows = [(case_id, value) for case_id, value, *_ in STRING_CASES]
    df = spark.createDataFrame(rows, "case_id string, s string")
    names = list(dict.fromkeys(name for _, _, name, _, _ in STRING_CASES))
    outputs = [c for name in names for c in _outputs(F.col("s"), T.StringType(), name)]
    return {r.case_id: r for r in df.select("case_id", *outputs).collect()}


@pytest.fixture(scope="module")
def typed_results(spark) -> dict[str, Any]:
    schema = T.StructType(
        [T.StructField("case_id", T.StringType())]
        + [T.StructField(col, dtype) for col, dtype in TYPED_SOURCES.items()]
    )
    rows = []
    for case_id, col, value, *_ in TYPED_CASES:
        row = dict.fromkeys(schema.names)
        row.update({"case_id": case_id, col: value})
        rows.append(tuple(row.values()))
    df = spark.createDataFrame(rows, schema)
    pairs = list(dict.fromkeys((col, name) for _, col, _, name, _, _ in TYPED_CASES))
    outputs: list[Column] = []
    for col, name in pairs:
        value, codes = _outputs(F.col(col), TYPED_SOURCES[col], name)
        outputs += [value.alias(f"{col}__{name}"), codes.alias(f"{col}__{name}__codes")]
    return {r.case_id: r for r in df.select("case_id", *outputs).collect()}


@pytest.mark.parametrize(
    ("case_id", "source", "name", "expected", "codes"),
    STRING_CASES,
    ids=[c[0] for c in STRING_CASES],
)
def test_string_source(string_results, case_id, source, name, expected, codes):
    _check(string_results[case_id], name, expected, codes)


@pytest.mark.parametrize(
    ("case_id", "col", "source", "name", "expected", "codes"),
    TYPED_CASES,
    ids=[c[0] for c in TYPED_CASES],
)
def test_typed_source(typed_results, case_id, col, source, name, expected, codes):
    _check(typed_results[case_id], f"{col}__{name}", expected, codes)


def test_integer_ranges_match_semantics():
    assert INTEGER_RANGES == {
        "byte": (-128, 127),
        "short": (-32768, 32767),
        "integer": (-(2**31), 2**31 - 1),
        "long": (-(2**53 - 1), 2**53 - 1),
    }


# --------------------------------------------------------------------------------------------
# Validation rules (mapping._validation) through apply_mapping on a tiny schema
# --------------------------------------------------------------------------------------------

SCHEMA = SchemaSpec.model_validate(
    {
        "name": "tiny",
        "class": "other",
        "fields": {
            "status": {"type": "string", "enum": ["active", "inactive"]},
            "tier": {"type": "integer", "enum": [1, 2, 3]},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "ratio": {"type": "double", "minimum": 0.5, "maximum": 1.5},
            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
            "crm_id": {"type": "string", "identity": {"namespace": "crmId"}},
            "email": {"type": "string", "identity": {"namespace": "email"}},
        },
    }
)
FIELDS = list(SCHEMA.fields)
EMAIL = "jane@example.com"
GOOD = {
    "status": "active",
    "tier": "1",
    "score": "0",
    "ratio": "0.5",
    "sku": "ABC-12",
    "crm_id": "C-1",
    "email": EMAIL,
}

# (case id, fields changed from GOOD, expected errors, expected warnings) as sorted (code, field)
VALIDATION_CASES: list[tuple[str, dict[str, str | None], list, list]] = [
    ("all_good_at_minimum", {}, [], []),
    (
        "all_good_at_maximum",
        {"status": "inactive", "tier": "3", "score": "100", "ratio": "1.5"},
        [],
        [],
    ),
    ("all_null_optional", dict.fromkeys(FIELDS), [], []),
    ("enum_case_differs", {"status": "ACTIVE"}, [("ENUM_MISMATCH", "status")], []),
    ("enum_unknown", {"status": "gone"}, [("ENUM_MISMATCH", "status")], []),
    ("enum_integer", {"tier": "4"}, [("ENUM_MISMATCH", "tier")], []),
    ("below_minimum", {"score": "-1"}, [("BELOW_MINIMUM", "score")], []),
    ("above_maximum", {"score": "101"}, [("ABOVE_MAXIMUM", "score")], []),
    ("double_below_minimum", {"ratio": "0.49"}, [("BELOW_MINIMUM", "ratio")], []),
    ("double_above_maximum", {"ratio": "1.51"}, [("ABOVE_MAXIMUM", "ratio")], []),
    ("pattern_lower_case", {"sku": "abc-12"}, [("PATTERN_MISMATCH", "sku")], []),
    ("pattern_is_anchored", {"sku": "XABC-12"}, [("PATTERN_MISMATCH", "sku")], []),
    ("identity_1024_chars", {"crm_id": "x" * 1024}, [], []),
    ("identity_1025_chars", {"crm_id": "x" * 1025}, [("IDENTITY_TOO_LONG", "crm_id")], []),
    ("email_in_id_namespace", {"crm_id": EMAIL}, [("IDENTITY_EMAIL_IN_ID", "crm_id")], []),
    ("email_in_email_namespace", {"email": "Jane.Doe+x@mail.example.org"}, [], []),
    ("long_email_identity", {"email": "a" * 1020 + "@x.io"}, [("IDENTITY_TOO_LONG", "email")], []),
    # a failed conversion of an optional field is a warning; the field is nulled, not validated
    ("conversion_not_number", {"score": "12.5"}, [], [("CONVERSION_INVALID_NUMBER", "score")]),
    # ... but out of range is a range violation, like ABOVE_MAXIMUM: the row fails (issue 16)
    (
        "conversion_out_of_range",
        {"score": "2147483648"},
        [("CONVERSION_OUT_OF_RANGE", "score")],
        [],
    ),
]


@pytest.fixture(scope="module")
def validation_results(spark) -> dict[str, Any]:
    rows = [(case_id, *{**GOOD, **changes}.values()) for case_id, changes, _, _ in VALIDATION_CASES]
    ddl = ", ".join(["case_id string", *[f"{f} string" for f in FIELDS]])
    df = spark.createDataFrame(rows, ddl)
    plan = resolve_mapping(MappingSpec(auto=True), SCHEMA, FIELDS)
    assert plan.auto_mapped == {f: f for f in FIELDS}
    out = apply_mapping(
        df, plan, SCHEMA, lambda p: (F.col(p), df.schema[p].dataType), keep=["case_id"]
    )
    return {r.case_id: r for r in out.collect()}


@pytest.mark.parametrize(
    ("case_id", "changes", "errors", "warnings"),
    VALIDATION_CASES,
    ids=[c[0] for c in VALIDATION_CASES],
)
def test_validation(validation_results, case_id, changes, errors, warnings):
    row = validation_results[case_id]
    assert sorted((e.code, e.field) for e in row["_errors"]) == errors
    assert sorted((w.code, w.field) for w in row["_warnings"]) == warnings


def test_validation_keeps_values_and_explains(validation_results):
    """A rule failure keeps the converted value (the row fails); a conversion failure nulls it."""
    above = validation_results["above_maximum"]
    assert above.score == 101
    assert [e.message for e in above["_errors"]] == ["value '101' is above the maximum 100"]
    enum = validation_results["enum_case_differs"]
    assert [e.message for e in enum["_errors"]] == [
        "value 'ACTIVE' is not one of [active, inactive]"
    ]
    assert validation_results["conversion_not_number"].score is None
    good = validation_results["all_good_at_maximum"]
    assert (good.status, good.tier, good.score, good.ratio, good.sku) == (
        "inactive",
        3,
        100,
        1.5,
        "ABC-12",
    )
