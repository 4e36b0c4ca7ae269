"""Datetime parsing rules (SEMANTICS.md, "Types and datetimes"), as one table.

Every case runs in ONE Spark job per table: the options of ``parse_datetime`` / ``parse_date`` /
``convert`` are Python-level arguments, so each distinct option set is a group, and a single
``select`` picks the group's expression per row with ``F.when``. Each case then asserts on its own
row (its pytest id is the case id).

Expected values are UTC wall-clock strings compared through ``date_format`` (never through Python
datetimes, which depend on the test process's zone). ``None`` means "null and not invalid" (an
empty source); a ``CONVERSION_*`` code means "null value, invalid flag true, this code".

Decisions where SEMANTICS.md is silent (the stricter reading):

* A digit string must have at least 9 digits to be an epoch value. ``2018`` and ``20180710`` are
  ISO 8601 shapes (a year, a basic date) that as epoch millis would silently become 1970-01-01;
  numbers (LongType/IntegerType) have no such ambiguity and are always epoch values.
* Valid instants are 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z: ``0999`` is a valid
  four-digit year; year 0 and anything that lands past 9999 in UTC are invalid.
* Only the ISO shapes listed in SEMANTICS.md are accepted, even where Spark's cast is laxer
  (single-digit months, zone names, ``+hh:mm:ss`` offsets, a space before the offset).
* ``HH:mm`` without seconds is accepted (ISO 8601 reduced precision; convert.py documents it).
* Declared formats are tried first; the ISO and epoch forms are still tried after them (they
  are unambiguous, so the fallback cannot produce a wrong date).
* Whitespace-only values (spaces, tabs) are empty: null, not invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeport.transforms.convert import Converted, convert, parse_date, parse_datetime

pytestmark = pytest.mark.spark

BAD = "CONVERSION_INVALID_DATETIME"
BAD_DATE = "CONVERSION_INVALID_DATE"
RANGE = "CONVERSION_OUT_OF_RANGE"
MISMATCH = "CONVERSION_TYPE_MISMATCH"
TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"


@dataclass(frozen=True)
class Opts:
    """Python-level options of one group of cases."""

    source: str = "string"  # string | long | int | double
    formats: tuple[str, ...] = ()
    timezone: str = "UTC"
    unit: str | None = None


UTC = Opts()
NY = Opts(timezone="America/New_York")
KOLKATA = Opts(timezone="Asia/Kolkata")
SECONDS = Opts(unit="seconds")
FMT_SPACE = Opts(formats=("yyyy-MM-dd HH:mm:ss",))
FMT_SPACE_NY = Opts(formats=("yyyy-MM-dd HH:mm:ss",), timezone="America/New_York")
FMT_EU = Opts(formats=("dd/MM/yyyy HH:mm",))
FMT_TWO = Opts(formats=("yyyy-MM-dd HH:mm:ss", "dd/MM/yyyy HH:mm"))
FMT_OFFSET_NY = Opts(formats=("yyyy-MM-dd HH:mm:ss XXX",), timezone="America/New_York")
LONG = Opts(source="long")
LONG_NY = Opts(source="long", timezone="America/New_York")
LONG_SECONDS = Opts(source="long", unit="seconds")
INT = Opts(source="int")
DOUBLE = Opts(source="double")

# (case id, input, options, expected UTC timestamp | None | error code)
DATETIME_CASES: list[tuple[str, Any, Opts, str | None]] = [
    # --- UTC designators and offsets
    ("z_upper", "2018-07-10T15:05:59Z", UTC, "2018-07-10T15:05:59"),
    ("z_lower", "2018-07-10T15:05:59z", UTC, "2018-07-10T15:05:59"),
    ("t_lower_z_lower", "2018-07-10t15:05:59z", UTC, "2018-07-10T15:05:59"),
    ("semantics_offset_form", "2018-07-10T15:05:59.000-08:00", UTC, "2018-07-10T23:05:59"),
    ("semantics_epoch_string_form", "1531263959000", UTC, "2018-07-10T23:05:59"),
    ("semantics_epoch_long_form", 1531263959000, LONG, "2018-07-10T23:05:59"),
    ("offset_plus_hh_mm", "2018-07-10T15:05:59+05:30", UTC, "2018-07-10T09:35:59"),
    ("offset_plus_hhmm", "2018-07-10T15:05:59+0800", UTC, "2018-07-10T07:05:59"),
    ("offset_minus_hhmm", "2018-07-10T15:05:59-0330", UTC, "2018-07-10T18:35:59"),
    ("offset_plus_hh", "2018-07-10T15:05:59+08", UTC, "2018-07-10T07:05:59"),
    ("offset_zero", "2018-07-10T15:05:59+00:00", UTC, "2018-07-10T15:05:59"),
    ("offset_crosses_midnight", "2018-07-10T23:30:00-02:00", UTC, "2018-07-11T01:30:00"),
    ("offset_minus_18_is_the_limit", "2018-07-10T15:05:59-18:00", UTC, "2018-07-11T09:05:59"),
    ("offset_plus_19_invalid", "2018-07-10T15:05:59+19:00", UTC, BAD),
    # Spark's cast accepts the next three; SEMANTICS.md's offset forms do not include them
    ("offset_with_seconds_invalid", "2018-07-10T15:05:59+08:00:00", UTC, BAD),
    ("zone_name_invalid", "2018-07-10T15:05:59UTC", UTC, BAD),
    ("space_before_offset_invalid", "2018-07-10T15:05:59 +08:00", UTC, BAD),
    # --- fractional seconds: 0 to 9 digits, truncated (not rounded) to microseconds
    ("frac_1", "2018-07-10T15:05:59.1Z", UTC, "2018-07-10T15:05:59.1"),
    ("frac_3", "2018-07-10T15:05:59.123Z", UTC, "2018-07-10T15:05:59.123"),
    ("frac_6", "2018-07-10T15:05:59.123456Z", UTC, "2018-07-10T15:05:59.123456"),
    ("frac_9_truncated", "2018-07-10T15:05:59.123456789Z", UTC, "2018-07-10T15:05:59.123456"),
    ("frac_9_not_rounded", "2018-07-10T23:59:59.999999999Z", UTC, "2018-07-10T23:59:59.999999"),
    ("frac_9_with_offset", "2018-07-10T15:05:59.000000001-08:00", UTC, "2018-07-10T23:05:59"),
    ("frac_10_invalid", "2018-07-10T15:05:59.1234567890Z", UTC, BAD),
    ("frac_dot_only_invalid", "2018-07-10T15:05:59.Z", UTC, BAD),
    ("frac_comma_invalid", "2018-07-10T15:05:59,123Z", UTC, BAD),
    # --- separators and shapes
    ("space_separator", "2018-07-10 15:05:59", UTC, "2018-07-10T15:05:59"),
    ("space_separator_offset", "2018-07-10 15:05:59+02:00", UTC, "2018-07-10T13:05:59"),
    ("no_seconds", "2018-07-10T15:05Z", UTC, "2018-07-10T15:05:00"),
    ("date_only_midnight_utc", "2018-07-10", UTC, "2018-07-10T00:00:00"),
    ("surrounding_spaces", "  2018-07-10T15:05:59Z  ", UTC, "2018-07-10T15:05:59"),
    ("surrounding_tab_newline", "\t2018-07-10T15:05:59Z\n", UTC, "2018-07-10T15:05:59"),
    ("single_digit_month_invalid", "2018-7-10", UTC, BAD),
    ("year_only_invalid", "2018", UTC, BAD),
    ("year_month_invalid", "2018-07", UTC, BAD),
    ("basic_date_invalid", "20180710", UTC, BAD),
    ("trailing_garbage_invalid", "2018-07-10T15:05:59Zabc", UTC, BAD),
    ("trailing_zone_word_invalid", "2018-07-10T15:05:59.000-08:00 PST", UTC, BAD),
    ("double_designator_invalid", "2018-07-10T15:05:59ZZ", UTC, BAD),
    ("garbage_invalid", "yesterday afternoon", UTC, BAD),
    ("empty_is_null", "", UTC, None),
    ("spaces_is_null", "   ", UTC, None),
    ("tab_is_null", "\t", UTC, None),
    ("null_is_null", None, UTC, None),
    # --- calendar validity
    ("feb29_leap_year", "2020-02-29T12:00:00Z", UTC, "2020-02-29T12:00:00"),
    ("feb29_year_2000", "2000-02-29", UTC, "2000-02-29T00:00:00"),
    ("feb29_non_leap_invalid", "2019-02-29T12:00:00Z", UTC, BAD),
    ("feb29_year_1900_invalid", "1900-02-29", UTC, BAD),
    ("feb30_invalid", "2018-02-30", UTC, BAD),
    ("apr31_invalid", "2018-04-31T00:00:00Z", UTC, BAD),
    ("month_00_invalid", "2018-00-10T10:00:00Z", UTC, BAD),
    ("month_13_invalid", "2018-13-01T10:00:00Z", UTC, BAD),
    ("day_00_invalid", "2018-07-00", UTC, BAD),
    ("day_32_invalid", "2018-07-32", UTC, BAD),
    ("hour_24_invalid", "2018-07-10T24:00:00Z", UTC, BAD),
    ("minute_60_invalid", "2018-07-10T23:60:00Z", UTC, BAD),
    ("leap_second_invalid", "2016-12-31T23:59:60Z", UTC, BAD),
    ("year_10000_invalid", "10000-01-01T00:00:00Z", UTC, BAD),
    ("year_0999_valid", "0999-12-31T00:00:00Z", UTC, "0999-12-31T00:00:00"),
    ("year_0001_first_instant", "0001-01-01T00:00:00Z", UTC, "0001-01-01T00:00:00"),
    ("year_0000_invalid", "0000-06-15T00:00:00Z", UTC, BAD),
    ("year_9999_last_instant", "9999-12-31T23:59:59.999999Z", UTC, "9999-12-31T23:59:59.999999"),
    ("utc_lands_in_year_10000_invalid", "9999-12-31T23:30:00-01:00", UTC, BAD),
    # --- epoch values in digit strings: millis unless unit: seconds
    ("epoch_millis_negative", "-1000000000000", UTC, "1938-04-24T22:13:20"),
    ("epoch_10_digits_are_millis", "1531263959", UTC, "1970-01-18T17:21:03.959"),
    ("epoch_9_digits_shortest", "100000000", UTC, "1970-01-02T03:46:40"),
    ("epoch_zero_string_invalid", "0", UTC, BAD),
    ("epoch_max_millis", "253402300799999", UTC, "9999-12-31T23:59:59.999"),
    ("epoch_past_year_9999_invalid", "253402300800000", UTC, BAD),
    ("epoch_min_millis", "-62135596800000", UTC, "0001-01-01T00:00:00"),
    ("epoch_before_year_1_invalid", "-62135596800001", UTC, BAD),
    ("epoch_19_digits_over_long_invalid", "9223372036854775808", UTC, BAD),
    ("epoch_20_digits_invalid", "12345678901234567890", UTC, BAD),
    ("epoch_plus_sign_invalid", "+1531263959000", UTC, BAD),
    ("epoch_with_fraction_invalid", "1531263959000.5", UTC, BAD),
    ("epoch_surrounding_spaces", " 1531263959000 ", UTC, "2018-07-10T23:05:59"),
    ("epoch_ignores_timezone", "1531263959000", NY, "2018-07-10T23:05:59"),
    ("seconds_string", "1531263959", SECONDS, "2018-07-10T23:05:59"),
    ("seconds_string_negative", "-1000000000", SECONDS, "1938-04-24T22:13:20"),
    ("seconds_past_year_9999_invalid", "253402300800", SECONDS, BAD),
    ("seconds_iso_is_still_iso", "2018-07-10T15:05:59Z", SECONDS, "2018-07-10T15:05:59"),
    # --- declared timezone for zone-less values
    ("ny_winter", "2018-01-15T10:00:00", NY, "2018-01-15T15:00:00"),
    ("ny_summer", "2018-07-10 10:00:00", NY, "2018-07-10T14:00:00"),
    ("ny_date_only_is_local_midnight", "2018-07-10", NY, "2018-07-10T04:00:00"),
    ("ny_offset_wins", "2018-07-10T10:00:00+02:00", NY, "2018-07-10T08:00:00"),
    ("ny_z_wins", "2018-07-10T10:00:00Z", NY, "2018-07-10T10:00:00"),
    ("kolkata", "2018-07-10T10:00:00", KOLKATA, "2018-07-10T04:30:00"),
    ("kolkata_date_only_previous_utc_day", "2018-07-10", KOLKATA, "2018-07-09T18:30:00"),
    ("kolkata_before_year_1_utc_invalid", "0001-01-01", KOLKATA, BAD),
    # --- declared formats (tried in order, then the ISO and epoch forms)
    ("fmt_space", "2018-07-10 15:05:59", FMT_SPACE, "2018-07-10T15:05:59"),
    ("fmt_space_feb30_invalid", "2018-02-30 00:00:00", FMT_SPACE, BAD),
    ("fmt_space_year_10000_invalid", "10000-01-01 00:00:00", FMT_SPACE, BAD),
    ("fmt_space_iso_fallback", "2018-07-10T15:05:59Z", FMT_SPACE, "2018-07-10T15:05:59"),
    ("fmt_eu", "10/07/2018 15:05", FMT_EU, "2018-07-10T15:05:00"),
    ("fmt_eu_surrounding_spaces", " 10/07/2018 15:05 ", FMT_EU, "2018-07-10T15:05:00"),
    ("fmt_eu_single_digits_invalid", "1/7/2018 15:05", FMT_EU, BAD),
    ("fmt_eu_feb29_non_leap_invalid", "29/02/2019 00:00", FMT_EU, BAD),
    ("fmt_eu_trailing_garbage_invalid", "10/07/2018 15:05 x", FMT_EU, BAD),
    ("fmt_list_first_matches", "2018-07-10 15:05:59", FMT_TWO, "2018-07-10T15:05:59"),
    ("fmt_list_second_matches", "10/07/2018 15:05", FMT_TWO, "2018-07-10T15:05:00"),
    ("fmt_list_none_matches_invalid", "07-10-2018 15:05", FMT_TWO, BAD),
    (
        "fmt_offset_ignores_timezone",
        "2018-07-10 15:05:59 -08:00",
        FMT_OFFSET_NY,
        "2018-07-10T23:05:59",
    ),
    ("fmt_offset_z", "2018-07-10 15:05:59 Z", FMT_OFFSET_NY, "2018-07-10T15:05:59"),
    (
        "fmt_zone_less_summer_in_timezone",
        "2018-07-10 10:00:00",
        FMT_SPACE_NY,
        "2018-07-10T14:00:00",
    ),
    (
        "fmt_zone_less_winter_in_timezone",
        "2018-01-15 10:00:00",
        FMT_SPACE_NY,
        "2018-01-15T15:00:00",
    ),
    # --- numbers through convert(..., target="datetime"): always epoch values
    ("long_negative", -1000000000000, LONG, "1938-04-24T22:13:20"),
    ("long_zero", 0, LONG, "1970-01-01T00:00:00"),
    ("long_small_is_millis", 2018, LONG, "1970-01-01T00:00:02.018"),
    ("long_ignores_timezone", 1531263959000, LONG_NY, "2018-07-10T23:05:59"),
    ("long_max_millis", 253402300799999, LONG, "9999-12-31T23:59:59.999"),
    ("long_past_year_9999", 253402300800000, LONG, RANGE),
    ("long_max_value", 2**63 - 1, LONG, RANGE),
    ("long_min_value", -(2**63), LONG, RANGE),
    ("long_null", None, LONG, None),
    ("long_seconds", 1531263959, LONG_SECONDS, "2018-07-10T23:05:59"),
    ("long_seconds_past_year_9999", 253402300800, LONG_SECONDS, RANGE),
    ("int_millis", 1000, INT, "1970-01-01T00:00:01"),
    ("int_negative_millis", -86400000, INT, "1969-12-31T00:00:00"),
    ("double_does_not_convert", 1531263959000.0, DOUBLE, MISMATCH),
    ("double_null", None, DOUBLE, None),
]

D = Opts()
D_SECONDS = Opts(unit="seconds")
D_KOLKATA = Opts(timezone="Asia/Kolkata")
D_EU = Opts(formats=("dd/MM/yyyy",))
D_EU_KOLKATA = Opts(formats=("dd/MM/yyyy",), timezone="Asia/Kolkata")
D_TIME_NY = Opts(formats=("yyyy-MM-dd HH:mm",), timezone="America/New_York")

# (case id, input, options, expected yyyy-MM-dd | None | error code)
DATE_CASES: list[tuple[str, Any, Opts, str | None]] = [
    ("iso_date", "2018-07-10", D, "2018-07-10"),
    ("full_datetime_gives_utc_date", "2018-07-10T23:30:00-08:00", D, "2018-07-11"),
    ("full_datetime_z", "2018-07-10T15:05:59.123Z", D, "2018-07-10"),
    ("epoch_millis_string", "1531263959000", D, "2018-07-10"),
    ("epoch_seconds_string", "1531263959", D_SECONDS, "2018-07-10"),
    ("feb29_leap_year", "2020-02-29", D, "2020-02-29"),
    ("feb29_non_leap_invalid", "2019-02-29", D, BAD_DATE),
    ("feb30_invalid", "2018-02-30", D, BAD_DATE),
    ("month_13_invalid", "2018-13-01", D, BAD_DATE),
    ("garbage_invalid", "not a date", D, BAD_DATE),
    ("year_only_invalid", "2018", D, BAD_DATE),
    ("year_0000_invalid", "0000-01-01", D, BAD_DATE),
    ("year_0999_valid", "0999-01-01", D, "0999-01-01"),
    ("empty_is_null", "", D, None),
    ("null_is_null", None, D, None),
    ("surrounding_spaces", " 2018-07-10 ", D, "2018-07-10"),
    ("date_only_keeps_its_day_east_of_utc", "2018-07-10", D_KOLKATA, "2018-07-10"),
    ("zone_less_datetime_gives_utc_date", "2018-07-10T03:00:00", D_KOLKATA, "2018-07-09"),
    ("format", "10/07/2018", D_EU, "2018-07-10"),
    ("format_feb31_invalid", "31/02/2018", D_EU, BAD_DATE),
    ("format_iso_fallback", "2018-07-10", D_EU, "2018-07-10"),
    ("format_date_only_keeps_its_day", "10/07/2018", D_EU_KOLKATA, "2018-07-10"),
    ("format_with_time_gives_utc_date", "2018-07-10 22:00", D_TIME_NY, "2018-07-11"),
]


def _full(expected: str) -> str:
    """'2018-07-10T15:05:59[.f]' -> the 6-digit fraction form that TS_FORMAT renders."""
    seconds, _, fraction = expected.partition(".")
    return f"{seconds}.{fraction.ljust(6, '0')}"


def _ids(cases: list[tuple[str, Any, Opts, str | None]]) -> list[str]:
    return [c[0] for c in cases]


_SOURCE_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "long": T.LongType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
}


_ARROW_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("grp", pa.int32()),
        ("string", pa.string()),
        ("long", pa.int64()),
        ("int", pa.int32()),
        ("double", pa.float64()),
    ]
)


def _frame(spark, cases: list[tuple[str, Any, Opts, str | None]]):
    """One row per case; the input sits in the column of its source type; grp numbers the options.

    Built from an Arrow table, so the frame is a LocalRelation and Spark's optimizer evaluates the
    select in the driver (interpreted). From a Python list it would be an RDD scan whose single
    ~100-branch projection overflows whole-stage codegen's method size and spends seconds failing
    to compile before it falls back; ``test_codegen_agrees`` covers the compiled path.
    """
    groups = list(dict.fromkeys(opts for _, _, opts, _ in cases))
    rows = []
    for case_id, value, opts, _ in cases:
        row = dict.fromkeys(_ARROW_SCHEMA.names)
        row.update({"case_id": case_id, "grp": groups.index(opts), opts.source: value})
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=_ARROW_SCHEMA)
    return spark.createDataFrame(table), groups


def _pick(groups: list[Opts], build) -> tuple[Column, Column, Column]:
    """(value, invalid, code) Columns choosing each row's group's Converted parts."""
    value = invalid = code = None
    for i, opts in enumerate(groups):
        parts: list[Converted] = build(opts)
        mine = F.col("grp") == i
        part_code = F.lit(None).cast("string")
        for p in reversed(parts):
            part_code = F.when(p.invalid, F.lit(p.code)).otherwise(part_code)
        any_invalid = F.lit(False)
        for p in parts:
            any_invalid = any_invalid | F.coalesce(p.invalid, F.lit(False))
        value = (F if value is None else value).when(mine, parts[0].value)
        invalid = (F if invalid is None else invalid).when(mine, any_invalid)
        code = (F if code is None else code).when(mine, part_code)
    assert value is not None and invalid is not None and code is not None
    return value, invalid, code


def _collect(df, value: Column, invalid: Column, code: Column, fmt: str) -> dict[str, tuple]:
    out = df.select(
        "case_id",
        F.date_format(value, fmt).alias("value"),
        invalid.alias("invalid"),
        code.alias("code"),
    ).collect()
    return {r.case_id: (r.value, r.invalid, r.code) for r in out}


@pytest.fixture(scope="module")
def datetime_results(spark) -> dict[str, tuple]:
    df, groups = _frame(spark, DATETIME_CASES)

    def build(opts: Opts) -> list[Converted]:
        kwargs = {
            "formats": list(opts.formats) or None,
            "timezone": opts.timezone,
            "unit": opts.unit,
        }
        if opts.source == "string":
            return [parse_datetime(F.col("string"), **kwargs)]
        return convert(F.col(opts.source), _SOURCE_TYPES[opts.source], "datetime", **kwargs)

    return _collect(df, *_pick(groups, build), TS_FORMAT)


@pytest.fixture(scope="module")
def date_results(spark) -> dict[str, tuple]:
    df, groups = _frame(spark, DATE_CASES)

    def build(opts: Opts) -> list[Converted]:
        formats = list(opts.formats) or None
        return [
            parse_date(F.col("string"), formats=formats, timezone=opts.timezone, unit=opts.unit)
        ]

    return _collect(df, *_pick(groups, build), "yyyy-MM-dd")


def _check(
    results: dict[str, tuple], case_id: str, source: Any, expected: str | None, full
) -> None:
    value, invalid, code = results[case_id]
    if expected is None:
        assert (value, invalid, code) == (None, False, None), f"{source!r}: expected an empty null"
    elif expected.startswith("CONVERSION_"):
        assert (value, invalid, code) == (None, True, expected), f"{source!r}: expected {expected}"
    else:
        assert (value, invalid, code) == (full(expected), False, None), f"{source!r}"


def test_table_sizes():
    assert len(DATETIME_CASES) >= 45
    assert len(DATE_CASES) >= 8
    assert len(set(_ids(DATETIME_CASES))) == len(DATETIME_CASES)
    assert len(set(_ids(DATE_CASES))) == len(DATE_CASES)


@pytest.mark.parametrize(
    ("case_id", "source", "opts", "expected"), DATETIME_CASES, ids=_ids(DATETIME_CASES)
)
def test_parse_datetime(datetime_results, case_id, source, opts, expected):
    _check(datetime_results, case_id, source, expected, _full)


@pytest.mark.parametrize(
    ("case_id", "source", "opts", "expected"), DATE_CASES, ids=_ids(DATE_CASES)
)
def test_parse_date(date_results, case_id, source, opts, expected):
    _check(date_results, case_id, source, expected, lambda d: d)


def test_semantics_example_is_one_instant(datetime_results):
    """SEMANTICS.md: `2018-07-10T15:05:59.000-08:00` and `1531263959000` are the same instant."""
    forms = ("semantics_offset_form", "semantics_epoch_string_form", "semantics_epoch_long_form")
    instants = {datetime_results[f][0] for f in forms}
    assert instants == {"2018-07-10T23:05:59.000000"}


def test_codegen_agrees(spark, datetime_results):
    """The string cases of the UTC group, compiled (an RDD-backed frame): same results, no throw."""
    cases = [
        (cid, src)
        for cid, src, opts, _ in DATETIME_CASES
        if opts == UTC and opts.source == "string"
    ]
    df = spark.createDataFrame(cases, "case_id string, string string")
    parsed = parse_datetime(F.col("string"))
    code = F.when(parsed.invalid, F.lit(parsed.code))
    got = _collect(df, parsed.value, parsed.invalid, code, TS_FORMAT)
    assert got == {cid: datetime_results[cid] for cid, _ in cases}
