"""Every function of the expression language, compiled to a Spark Column and evaluated once."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from lakeport.expr import FUNCTIONS, compile_expression

pytestmark = pytest.mark.spark

# (expression, expected value) over one row: s=' Ada Lovelace ', n=-2.5, k='3', d='2024-02-29', e='A@B.COM', z=null, a=['x', 'y']
CASES = [
    ("lower(s)", " ada lovelace "),
    ("upper(s)", " ADA LOVELACE "),
    ("trim(s)", "Ada Lovelace"),
    ("ltrim(s)", "Ada Lovelace "),
    ("rtrim(s)", " Ada Lovelace"),
    ("concat(trim(s), '!', k)", "Ada Lovelace!3"),
    ("concat(s, z)", None),
    ("concat_ws('-', k, z, k)", "3-3"),
    ("substr(trim(s), 5)", "Lovelace"),
    ("substr(trim(s), 1, 3)", "Ada"),
    ("replace(s, 'a', 'o')", " Ado Loveloce "),
    ("regexp_replace(trim(s), '[aeiou]', '_')", "Ad_ L_v_l_c_"),
    ("regexp_extract(e, '@(.*)$')", "B.COM"),
    ("regexp_extract(e, '^(.*)@(.*)$', 2)", "B.COM"),
    ("length(trim(s))", 12),
    ("lpad(k, 4, '0')", "0003"),
    ("rpad(k, 3, 'x')", "3xx"),
    ("split_part(d, '-', 2)", "02"),
    ("initcap(lower(trim(s)))", "Ada Lovelace"),
    ("contains(s, 'Love')", True),
    ("starts_with(trim(s), 'Ada')", True),
    ("ends_with(s, 'x')", False),
    ("matches(e, '^[A-Z]+@')", True),
    ("sha256(lower(e))", hashlib.sha256(b"a@b.com").hexdigest()),
    ("sha1(k)", "77de68daecd823babbb58edb1c8e14d7106e83bb"),
    ("md5(k)", "eccbc87e4b5ce2fe28308fd9f2a7baf3"),
    ("crc32(k)", 1842515611),
    ("iif(n < 0, 'neg', 'pos')", "neg"),
    ("coalesce(z, k)", "3"),
    ("nullif(k, '3')", None),
    ("is_null(z)", True),
    ("is_not_null(z)", False),
    ("is_empty(concat(' ', ' '))", True),
    ("to_string(n)", "-2.5"),
    ("to_integer(k)", 3),
    ("to_integer('x')", None),
    ("to_long(k)", 3),
    ("to_double('1e3')", 1000.0),
    ("to_boolean('Yes')", True),
    ("abs(n)", 2.5),
    ("round(n)", -3.0),
    ("round(1.256, 2)", 1.26),
    ("floor(n)", -3),
    ("ceil(n)", -2),
    ("to_datetime('2024-02-29T10:00:00+02:00')", datetime(2024, 2, 29, 8, 0)),
    (
        "to_datetime('29/02/2024 10:00', 'dd/MM/yyyy HH:mm', 'America/New_York')",
        datetime(2024, 2, 29, 15, 0),
    ),
    ("to_date(d)", date(2024, 2, 29)),
    ("to_date('29.02.2024', 'dd.MM.yyyy')", date(2024, 2, 29)),
    ("date_format(to_datetime(d), 'yyyy/MM/dd')", "2024/02/29"),
    ("year(to_date(d))", 2024),
    ("month(to_date(d))", 2),
    ("day(to_date(d))", 29),
    ("epoch_millis(to_datetime('2018-07-10T15:05:59.000-08:00'))", 1531263959000),
    ("to_integer(k) * 2 + 1", 7),
    ("to_integer(k) / 0", None),
    ("to_integer(k) % 2", 1),
    ("-n", 2.5),
    ("not (n > 0) and k == '3'", True),
    ("n > 0 or k != '3'", False),
    ("size(a)", 2),
]


def test_every_function_has_a_case():
    used = {c.split("(")[0] for c, _ in CASES}
    assert set(FUNCTIONS) - used == set()


def test_expressions_evaluate_to_the_expected_values(spark):
    df = spark.createDataFrame(
        [(" Ada Lovelace ", -2.5, "3", "2024-02-29", "A@B.COM", None, ["x", "y"])],
        "s string, n double, k string, d string, e string, z string, a array<string>",
    )
    cols = [compile_expression(expr, F.col).alias(f"c{i}") for i, (expr, _) in enumerate(CASES)]
    row = df.select(*cols).first()
    assert row is not None
    got = {expr: row[f"c{i}"] for i, (expr, _) in enumerate(CASES)}
    assert got == dict(CASES)
