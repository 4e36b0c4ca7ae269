"""The functions of the expression language: one registry entry each (arity, literals, compiler).

An entry says how many arguments a function takes, which of them must be literals and of what
type (and which literal is a regex, a datetime pattern or a time zone, checked before Spark
starts), the coarse kind of its result, a one-line summary (the README's table is checked against
this registry) and its compiler: a function from the compiled arguments to a native Spark Column.
Nothing here reaches outside the data: there is no ``reflect``, no file or network access, and
no Python runs per row.

Example:
    >>> FUNCTIONS["substr"].literals
    {1: <class 'int'>, 2: <class 'int'>}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column

# Result kinds are coarse on purpose: they catch "a boolean into a date" at validation time.
STRING, NUMBER, BOOLEAN, DATETIME, DATE, ANY = (
    "string",
    "number",
    "boolean",
    "datetime",
    "date",
    "any",
)


class _Functions:
    """``pyspark.sql.functions``, imported on first use (validation never needs Spark)."""

    def __getattr__(self, name: str) -> Any:
        from pyspark.sql import functions

        return getattr(functions, name)


F: Any = _Functions()


@dataclass(frozen=True)
class Args:
    """What a compiler gets: the compiled arguments, their literal values, the default zone."""

    cols: list[Column]
    literals: list[Any]  # the value of each literal argument, None for the others
    zone: str
    # the Spark type of a Column over the source frame (analysis only), when the caller knows it
    type_of: Callable[[Column], Any] | None = None

    def s(self, i: int) -> Column:
        """Argument ``i`` as a string."""
        return self.cols[i].cast("string")

    def strings(self, start: int = 0) -> list[Column]:
        return [c.cast("string") for c in self.cols[start:]]

    def lit(self, i: int, default: Any = None) -> Any:
        return self.literals[i] if i < len(self.literals) else default


@dataclass(frozen=True)
class Function:
    """One function of the expression language."""

    min_args: int
    max_args: int | None
    returns: str
    summary: str
    compile: Callable[[Args], Column]
    literals: dict[int, type | None] = field(default_factory=dict)  # None: any literal
    regex_args: tuple[int, ...] = ()
    pattern_args: tuple[int, ...] = ()  # datetime patterns (parsing ones unless `formats_only`)
    zone_args: tuple[int, ...] = ()
    formats_only: bool = False  # date_format may use letters that cannot parse (E, F, q, Q)


def _convert() -> Any:
    from lakeport.transforms import convert

    return convert


def _to_number(target: str) -> Callable[[Args], Column]:
    return lambda a: F.trim(a.s(0)).try_cast(target)


def _to_datetime(a: Args) -> Column:
    formats = [str(a.lit(1))] if a.lit(1) is not None else []
    zone = str(a.lit(2)) if a.lit(2) is not None else a.zone
    return _convert().parse_datetime(a.s(0), formats=formats, timezone=zone).value


def _to_date(a: Args) -> Column:
    formats = [str(a.lit(1))] if a.lit(1) is not None else []
    return _convert().parse_date(a.s(0), formats=formats, timezone=a.zone).value


def _size(a: Args) -> Column:
    from pyspark.sql import types as T

    col = a.cols[0]
    if a.type_of is not None and isinstance(a.type_of(col), T.StringType):
        return F.json_array_length(col)  # a JSON list read as its text (JSON Lines fields)
    return F.when(col.isNotNull(), F.size(col))


def _fn(
    min_args: int,
    max_args: int | None,
    returns: str,
    summary: str,
    compile: Callable[[Args], Column],
    **extra: Any,
) -> Function:
    return Function(min_args, max_args, returns, summary, compile, **extra)


FUNCTIONS: dict[str, Function] = {
    # strings
    "lower": _fn(1, 1, STRING, "lower-case", lambda a: F.lower(a.s(0))),
    "upper": _fn(1, 1, STRING, "upper-case", lambda a: F.upper(a.s(0))),
    "trim": _fn(1, 1, STRING, "strip spaces at both ends", lambda a: F.trim(a.s(0))),
    "ltrim": _fn(1, 1, STRING, "strip leading spaces", lambda a: F.ltrim(a.s(0))),
    "rtrim": _fn(1, 1, STRING, "strip trailing spaces", lambda a: F.rtrim(a.s(0))),
    "concat": _fn(
        1, None, STRING, "join strings; null if any part is null", lambda a: F.concat(*a.strings())
    ),
    "concat_ws": _fn(
        2,
        None,
        STRING,
        "join with a literal separator (first argument), skipping nulls",
        lambda a: F.concat_ws(str(a.lit(0)), *a.strings(1)),
        literals={0: str},
    ),
    "substr": _fn(
        2,
        3,
        STRING,
        "substring from a 1-based position, optional length",
        lambda a: F.substring(a.s(0), int(a.lit(1)), int(a.lit(2, 2**31 - 1))),
        literals={1: int, 2: int},
    ),
    "replace": _fn(
        3,
        3,
        STRING,
        "replace every occurrence of a literal string",
        lambda a: F.replace(a.s(0), a.s(1), a.s(2)),
    ),
    "regexp_replace": _fn(
        3,
        3,
        STRING,
        "replace regex matches",
        lambda a: F.regexp_replace(a.s(0), str(a.lit(1)), a.s(2)),
        literals={1: str},
        regex_args=(1,),
    ),
    "regexp_extract": _fn(
        2,
        3,
        STRING,
        "the regex group (default 1) of the first match",
        lambda a: F.regexp_extract(a.s(0), str(a.lit(1)), int(a.lit(2, 1))),
        literals={1: str, 2: int},
        regex_args=(1,),
    ),
    "length": _fn(1, 1, NUMBER, "number of characters", lambda a: F.length(a.s(0))),
    "lpad": _fn(
        3,
        3,
        STRING,
        "pad on the left to a length",
        lambda a: F.lpad(a.s(0), int(a.lit(1)), str(a.lit(2))),
        literals={1: int, 2: str},
    ),
    "rpad": _fn(
        3,
        3,
        STRING,
        "pad on the right to a length",
        lambda a: F.rpad(a.s(0), int(a.lit(1)), str(a.lit(2))),
        literals={1: int, 2: str},
    ),
    "split_part": _fn(
        3,
        3,
        STRING,
        "the n-th (1-based) part of a string split on a literal delimiter",
        lambda a: F.split_part(a.s(0), a.s(1), a.cols[2].cast("int")),
    ),
    "initcap": _fn(1, 1, STRING, "capitalise each word", lambda a: F.initcap(a.s(0))),
    "contains": _fn(
        2,
        2,
        BOOLEAN,
        "true if the first string contains the second",
        lambda a: F.contains(a.s(0), a.s(1)),
    ),
    "starts_with": _fn(
        2,
        2,
        BOOLEAN,
        "true if the first string starts with the second",
        lambda a: F.startswith(a.s(0), a.s(1)),
    ),
    "ends_with": _fn(
        2,
        2,
        BOOLEAN,
        "true if the first string ends with the second",
        lambda a: F.endswith(a.s(0), a.s(1)),
    ),
    "matches": _fn(
        2,
        2,
        BOOLEAN,
        "true if the string matches a regular expression",
        lambda a: a.s(0).rlike(str(a.lit(1))),
        literals={1: str},
        regex_args=(1,),
    ),
    # hashes
    "sha256": _fn(
        1, 1, STRING, "SHA-256 hex digest of the UTF-8 string", lambda a: F.sha2(a.s(0), 256)
    ),
    "sha1": _fn(1, 1, STRING, "SHA-1 hex digest", lambda a: F.sha1(a.s(0))),
    "md5": _fn(1, 1, STRING, "MD5 hex digest", lambda a: F.md5(a.s(0))),
    "crc32": _fn(1, 1, NUMBER, "CRC-32 checksum", lambda a: F.crc32(a.s(0))),
    # conditionals and nulls
    "iif": _fn(
        3,
        3,
        ANY,
        "iif(condition, value_if_true, value_if_false)",
        lambda a: F.when(a.cols[0], a.cols[1]).otherwise(a.cols[2]),
    ),
    "coalesce": _fn(1, None, ANY, "the first non-null argument", lambda a: F.coalesce(*a.cols)),
    "nullif": _fn(
        2,
        2,
        ANY,
        "null when both arguments are equal, else the first",
        lambda a: F.nullif(a.cols[0], a.cols[1]),
    ),
    "is_null": _fn(1, 1, BOOLEAN, "true if null", lambda a: a.cols[0].isNull()),
    "is_not_null": _fn(1, 1, BOOLEAN, "true if not null", lambda a: a.cols[0].isNotNull()),
    "is_empty": _fn(
        1,
        1,
        BOOLEAN,
        "true if null or only spaces",
        lambda a: a.cols[0].isNull() | (F.trim(a.s(0)) == F.lit("")),
    ),
    # conversions (null when the value does not convert)
    "to_string": _fn(1, 1, STRING, "as a string", lambda a: a.s(0)),
    "to_integer": _fn(
        1, 1, NUMBER, "as a 32-bit integer, null if it does not convert", _to_number("int")
    ),
    "to_long": _fn(
        1, 1, NUMBER, "as a 64-bit integer, null if it does not convert", _to_number("bigint")
    ),
    "to_double": _fn(
        1, 1, NUMBER, "as a double, null if it does not convert", _to_number("double")
    ),
    "to_boolean": _fn(
        1,
        1,
        BOOLEAN,
        "true/false, yes/no, y/n, on/off in any case",
        lambda a: _convert().string_to_boolean(a.s(0)),
    ),
    # numbers
    "abs": _fn(1, 1, NUMBER, "absolute value", lambda a: F.abs(a.cols[0])),
    "round": _fn(
        1,
        2,
        NUMBER,
        "round half up to N decimals (default 0)",
        lambda a: F.round(a.cols[0], int(a.lit(1, 0))),
        literals={1: int},
    ),
    "floor": _fn(1, 1, NUMBER, "largest integer not greater", lambda a: F.floor(a.cols[0])),
    "ceil": _fn(1, 1, NUMBER, "smallest integer not smaller", lambda a: F.ceil(a.cols[0])),
    # dates and times
    "to_datetime": _fn(
        1,
        3,
        DATETIME,
        "parse like a datetime field: to_datetime(s[, format[, timezone]])",
        _to_datetime,
        literals={1: str, 2: str},
        pattern_args=(1,),
        zone_args=(2,),
    ),
    "to_date": _fn(
        1,
        2,
        DATE,
        "parse a date: to_date(s[, format])",
        _to_date,
        literals={1: str},
        pattern_args=(1,),
    ),
    "date_format": _fn(
        2,
        2,
        STRING,
        "format a datetime with a pattern (UTC)",
        lambda a: F.date_format(a.cols[0], str(a.lit(1))),
        literals={1: str},
        pattern_args=(1,),
        formats_only=True,
    ),
    "year": _fn(1, 1, NUMBER, "year of a date or datetime", lambda a: F.year(a.cols[0])),
    "month": _fn(1, 1, NUMBER, "month (1-12)", lambda a: F.month(a.cols[0])),
    "day": _fn(1, 1, NUMBER, "day of month", lambda a: F.dayofmonth(a.cols[0])),
    "epoch_millis": _fn(
        1,
        1,
        NUMBER,
        "a datetime as epoch milliseconds",
        lambda a: F.unix_millis(a.cols[0].cast("timestamp")),
    ),
    # lists
    "size": _fn(1, 1, NUMBER, "number of items of a list (null if null)", _size),
}
