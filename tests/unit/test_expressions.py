"""Unit tests of the expression language's checker (no Spark): functions, syntax, sources, kinds.

Decision recorded here: f-strings are *not* part of the language (they would be Python evaluated
at run time); ``concat`` joins strings.
"""

from __future__ import annotations

import ast

import pytest

from lakeport.expr import (
    ANY,
    BOOLEAN,
    DATE,
    DATETIME,
    FUNCTIONS,
    NUMBER,
    STRING,
    ExpressionError,
    check_expression,
    compile_expression,
    result_kind,
)
from lakeport.spec.patterns import datetime_pattern_problem, regex_problem, zone_problem

README_HINT = (
    "it is not part of the expression language (the README's Expressions table lists the functions)"
)

# One valid call per arity a function accepts (literal arguments where the language requires them).
VALID_CALLS = [
    "lower(s)",
    "upper(s)",
    "trim(s)",
    "ltrim(s)",
    "rtrim(s)",
    "concat(s)",
    "concat(a, ' ', b, c)",
    "concat_ws('-', a)",
    "concat_ws(', ', a, b, c)",
    "substr(s, 2)",
    "substr(s, 1, 3)",
    "substr(s, -3, 2)",
    "replace(s, 'a', 'b')",
    "regexp_replace(s, '[0-9]+', '#')",
    "regexp_extract(s, '([A-Z]+)-([0-9]+)')",
    "regexp_extract(s, '([A-Z]+)-([0-9]+)', 2)",
    "length(s)",
    "lpad(s, 8, '0')",
    "rpad(s, 8, ' ')",
    "split_part(s, ',', 2)",
    "initcap(s)",
    "contains(s, '@')",
    "starts_with(s, 'L')",
    "ends_with(s, '.com')",
    "matches(s, '^L[0-9]{7}$')",
    "sha256(lower(trim(email)))",
    "sha1(s)",
    "md5(s)",
    "crc32(s)",
    "iif(points > 100, 'gold', 'silver')",
    "coalesce(a)",
    "coalesce(a, b, 'none')",
    "nullif(s, '')",
    "is_null(s)",
    "is_not_null(s)",
    "is_empty(s)",
    "to_string(n)",
    "to_integer(s)",
    "to_long(s)",
    "to_double(s)",
    "to_boolean(s)",
    "abs(n)",
    "round(n)",
    "round(n, 2)",
    "round(n, -1)",
    "floor(n)",
    "ceil(n)",
    "to_datetime(s)",
    "to_datetime(s, 'yyyy-MM-dd HH:mm:ss')",
    "to_datetime(s, 'dd/MM/yyyy HH:mm', 'Europe/Paris')",
    "to_date(s)",
    "to_date(s, 'dd.MM.yyyy')",
    "date_format(ts, 'EEE, d MMM yyyy')",
    "year(d)",
    "month(d)",
    "day(d)",
    "epoch_millis(ts)",
    "size(items)",
    # operators and constants
    "n * 2 + 1 - m / 4 % 3",
    "-n",
    "+n",
    "not is_null(s) and (a == 'x' or b != 'y')",
    "a < 1 or a <= 2 or a > 3 or a >= 4",
    "iif(flag == true, null, false)",
    "iif(x == None, True, False)",
    "1.5e3",
    "'it''s'",
]


@pytest.mark.parametrize("expression", VALID_CALLS)
def test_documented_expressions_are_accepted(expression: str) -> None:
    problems, _ = check_expression(expression)
    assert problems == []


def test_every_function_is_exercised_at_both_arity_bounds() -> None:
    arities: dict[str, set[int]] = {}
    for expression in VALID_CALLS:
        for node in ast.walk(ast.parse(expression, mode="eval")):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                arities.setdefault(node.func.id, set()).add(len(node.args))
    for name, fn in FUNCTIONS.items():
        assert fn.min_args in arities[name], name
        if fn.max_args is None:
            assert max(arities[name]) > fn.min_args, name
        else:
            assert fn.max_args in arities[name], name


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_arity_bounds_are_enforced_for_every_function(name: str) -> None:
    fn = FUNCTIONS[name]
    too_many = (fn.max_args or 5) + 1
    calls = [(n, f"{name}({', '.join(['1'] * n)})") for n in (fn.min_args - 1, too_many) if n >= 0]
    if fn.max_args is None:
        calls = calls[:1]
    for n, call in calls:
        problems, _ = check_expression(call)
        assert problems and problems[0].startswith(f"{name}() takes "), call
        assert f", got {n}; {name}: {fn.summary}" in problems[0]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lower(a, b)", "lower() takes 1 argument, got 2; lower: lower-case"),
        ("upper()", "upper() takes 1 argument, got 0; upper: upper-case"),
        (
            "substr(s)",
            "substr() takes 2 to 3 arguments, got 1; substr: substring from a 1-based position, optional length",
        ),
        (
            "coalesce()",
            "coalesce() takes 1 or more arguments, got 0; coalesce: the first non-null argument",
        ),
        (
            "iif(a > 1, 'x')",
            "iif() takes 3 arguments, got 2; iif: iif(condition, value_if_true, value_if_false)",
        ),
    ],
)
def test_wrong_arity_messages(expression: str, message: str) -> None:
    assert check_expression(expression)[0] == [message]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "reflect('java.lang.Runtime', 'getRuntime')",
            f"unknown function reflect(); {README_HINT}",
        ),
        (
            "java_method('java.lang.System', 'exit', 0)",
            f"unknown function java_method(); {README_HINT}",
        ),
        ("input_file_name()", f"unknown function input_file_name(); {README_HINT}"),
        ("read_file('/etc/passwd')", f"unknown function read_file(); {README_HINT}"),
        ("__import__('os')", f"unknown function __import__(); {README_HINT}"),
        ("eval('1')", f"unknown function eval(); {README_HINT}"),
        ("open('/etc/passwd')", f"unknown function open(); {README_HINT}"),
        ("current_timestamp()", f"unknown function current_timestamp(); {README_HINT}"),
        ("lowr(s)", "unknown function lowr(); did you mean lower()?"),
        ("substring(s, 1)", "unknown function substring(); did you mean substr()?"),
        ("sha2(s)", "unknown function sha2(); did you mean sha256()?"),
        ("isnull(s)", "unknown function isnull(); did you mean is_null()?"),
    ],
)
def test_unknown_functions(expression: str, message: str) -> None:
    problems, _ = check_expression(expression)
    assert problems == [message]


def test_names_that_reach_outside_the_data_are_not_functions() -> None:
    for name in ("reflect", "java_method", "input_file_name", "read_file", "eval", "exec", "open"):
        assert name not in FUNCTIONS


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lambda: 1", "lambda is not allowed in expressions; use the built-in functions"),
        (
            "(lambda x: x)(s)",
            "calling 'lambda x: x' is not allowed; only the expression functions can be called, for example lower(x)",
        ),
        (
            "os.system('rm -rf /')",
            "calling 'os.system' is not allowed; only the expression functions can be called, for example lower(x)",
        ),
        (
            "s.lower()",
            "calling 's.lower' is not allowed; only the expression functions can be called, for example lower(x)",
        ),
        (
            "__import__('os').system('ls')",
            "calling \"__import__('os').system\" is not allowed; only the expression functions can be called, for example lower(x)",
        ),
        (
            "lower(s).upper",
            "'lower(s).upper': only source paths such as a.b may use dots; there are no methods, call a function instead (for example lower(x))",
        ),
        (
            "a['x']",
            "\"a['x']\": only whole-number indexes such as items[0] are allowed; for a source name that is not an identifier write field('...')",
        ),
        (
            "a[i]",
            "'a[i]': only whole-number indexes such as items[0] are allowed; for a source name that is not an identifier write field('...')",
        ),
        (
            "a[-1]",
            "'a[-1]': only whole-number indexes such as items[0] are allowed; for a source name that is not an identifier write field('...')",
        ),
        (
            "a[0:2]",
            "'a[0:2]': only whole-number indexes such as items[0] are allowed; for a source name that is not an identifier write field('...')",
        ),
        ("[x for x in items]", "comprehensions are not allowed in expressions"),
        ("{x: 1 for x in items}", "comprehensions are not allowed in expressions"),
        (
            "f'{first} {last}'",
            "f-strings are not allowed in expressions; use concat('text ', field)",
        ),
        ("a if c else b", "'x if c else y' is not allowed in expressions; write iif(c, x, y)"),
        ("[1, 2]", "lists are not allowed in expressions; pass the values as separate arguments"),
        ("a, b", "tuples are not allowed in expressions; pass the values as separate arguments"),
        ("{'a': 1}", "dicts are not allowed in expressions"),
        ("(x := 1)", "':=' is not allowed in expressions"),
        (
            "concat(*parts)",
            "'*' unpacking is not allowed in expressions; pass the arguments one by one",
        ),
        (
            "lower(s=x)",
            "lower() does not take keyword arguments (s=); pass the arguments by position",
        ),
        (
            "concat(a, **kw)",
            "concat() does not take keyword arguments (**); pass the arguments by position",
        ),
        ("a ** 2", "operator ** is not supported; use + - * / % (and, or, not for conditions)"),
        ("a // 2", "operator // is not supported; use + - * / % (and, or, not for conditions)"),
        ("a & b", "operator & is not supported; use + - * / % (and, or, not for conditions)"),
        ("~a", "operator ~ is not supported; use not"),
        (
            "1 < a < 5",
            "chained comparisons such as '1 < a < 5' are not supported; write a < b and b < c",
        ),
        ("a in b", "the comparison 'in' is not supported; use ==, !=, <, <=, >, >="),
        ("a is None", "the comparison 'is' is not supported; use is_null(x) / is_not_null(x)"),
        (
            "b'bytes'",
            "the constant b'bytes' is not allowed; use a quoted string, a number, true, false or null",
        ),
        (
            "1j",
            "the constant 1j is not allowed; use a quoted string, a number, true, false or null",
        ),
        (
            "first + ' ' + last",
            "'+' adds numbers, so \"first + ' '\" would give null; join strings with concat(a, b)",
        ),
        (
            "iif('yes', 1, 2)",
            "iif(): the first argument must be a condition (for example x == 'a'), not a string",
        ),
        ("field(name)", "field() takes one quoted source name, for example field('first name')"),
        (
            "field('a', 'b')",
            "field() takes one quoted source name, for example field('first name')",
        ),
        ("", "the expression is empty; write one such as lower(email)"),
        ("   ", "the expression is empty; write one such as lower(email)"),
        (
            "lower(trim(email)",
            "cannot parse expression 'lower(trim(email)': '(' was never closed at column 6; fix the syntax",
        ),
        (
            "a = 1",
            "cannot parse expression 'a = 1': invalid syntax at column 3; fix the syntax",
        ),
        (
            "import os",
            "cannot parse expression 'import os': invalid syntax at column 1; fix the syntax",
        ),
    ],
)
def test_disallowed_syntax(expression: str, message: str) -> None:
    assert check_expression(expression)[0] == [message]


def test_a_generator_inside_an_unknown_function_gives_two_problems() -> None:
    assert check_expression("sum(x for x in items)")[0] == [
        f"unknown function sum(); {README_HINT}",
        "comprehensions are not allowed in expressions",
    ]


def test_several_problems_are_all_reported_once() -> None:
    problems, _ = check_expression("concat(lowr(a), os.system('x'), lowr(b))")
    assert problems == [
        "unknown function lowr(); did you mean lower()?",
        "calling 'os.system' is not allowed; only the expression functions can be called, for example lower(x)",
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("substr(s, pos)", "substr(): argument 2 must be a literal whole number, not 'pos'"),
        (
            "substr(s, 1, length(s) - 1)",
            "substr(): argument 3 must be a literal whole number, not 'length(s) - 1'",
        ),
        (
            "concat_ws(sep, a, b)",
            "concat_ws(): argument 1 must be a literal quoted string, not 'sep'",
        ),
        ("round(n, digits)", "round(): argument 2 must be a literal whole number, not 'digits'"),
        (
            "to_datetime(s, fmt)",
            "to_datetime(): argument 2 must be a literal quoted string, not 'fmt'",
        ),
        (
            "matches(s, pattern)",
            "matches(): argument 2 must be a literal quoted string, not 'pattern'",
        ),
        ("substr(s, '1')", "substr(): argument 2 must be a whole number, got '1'"),
        ("substr(s, 1.5)", "substr(): argument 2 must be a whole number, got 1.5"),
        ("substr(s, True)", "substr(): argument 2 must be a whole number, got True"),
        ("round(n, None)", "round(): argument 2 must be a whole number, got None"),
        ("lpad(s, 5, 0)", "lpad(): argument 3 must be a quoted string, got 0"),
        ("date_format(ts, 1)", "date_format(): argument 2 must be a quoted string, got 1"),
    ],
)
def test_literal_arguments(expression: str, message: str) -> None:
    assert check_expression(expression)[0] == [message]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "to_datetime(s, 'YYYY-MM-dd')",
            "to_datetime(): argument 2: pattern 'YYYY-MM-dd' uses the week-based letter 'Y', which Spark rejects; use 'y' for the year",
        ),
        (
            "to_datetime(s, \"yyyy-MM-dd'T'HH:mm:ss'Z'\")",
            "to_datetime(): argument 2: pattern \"yyyy-MM-dd'T'HH:mm:ss'Z'\" quotes 'Z', which discards the UTC "
            "designator and reads the value in the session time zone; use X (or XXX) instead",
        ),
        (
            "to_datetime(s, 'yyyy-MM-dd', 'Mars/Olympus')",
            "to_datetime(): argument 3: unknown time zone 'Mars/Olympus'; use an IANA name such as UTC or America/New_York",
        ),
        (
            "to_date(s, 'EEE dd MMM yyyy')",
            "to_date(): argument 2: pattern 'EEE dd MMM yyyy' uses 'E', which Spark can format with but not "
            "parse; remove it (quote it as text if the input carries it)",
        ),
        (
            "matches(s, '[0-9')",
            "matches(): argument 2: '[0-9' is not a valid regular expression (unterminated character set at position 0); fix it",
        ),
        (
            "regexp_extract(s, '(?P<y>[0-9]{4})')",
            "regexp_extract(): argument 2: '(?P<y>[0-9]{4})' uses Python's (?P<name>...), which Java regular "
            "expressions do not know; write (?<name>...)",
        ),
    ],
)
def test_literal_patterns_zones_and_regexes_are_checked(expression: str, message: str) -> None:
    assert check_expression(expression)[0] == [message]


@pytest.mark.parametrize(
    ("expression", "sources"),
    [
        ("a", {"a"}),
        ("a.b", {"a.b"}),
        ("person.address.city", {"person.address.city"}),
        ("items[0].sku", {"items[0].sku"}),
        ("items[2]", {"items[2]"}),
        ("orders[0].lines[1].price", {"orders[0].lines[1].price"}),
        ("field('first name')", {"first name"}),
        ('field("In-Stock")', {"In-Stock"}),
        ("concat(field('first name'), ' ', last_name)", {"first name", "last_name"}),
        ("iif(a.b > 0, c, d.e)", {"a.b", "c", "d.e"}),
        ("sha256(lower(trim(email)))", {"email"}),
        ("iif(flag == true, null, false)", {"flag"}),
        ("lower", {"lower"}),
        ("'constant'", set()),
        ("1 + 2", set()),
    ],
)
def test_source_paths(expression: str, sources: set[str]) -> None:
    assert check_expression(expression) == ([], sources)


def test_no_sources_are_reported_for_an_invalid_expression() -> None:
    assert check_expression("lower(trim(email)")[1] == set()


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("lower(s)", STRING),
        ("'x'", STRING),
        ("length(s)", NUMBER),
        ("n * 2", NUMBER),
        ("-n", NUMBER),
        ("1.5", NUMBER),
        ("a == 'x'", BOOLEAN),
        ("not a", BOOLEAN),
        ("a > 1 and b < 2", BOOLEAN),
        ("true", BOOLEAN),
        ("False", BOOLEAN),
        ("contains(s, '@')", BOOLEAN),
        ("to_datetime(s)", DATETIME),
        ("to_date(s)", DATE),
        ("date_format(ts, 'yyyy')", STRING),
        ("a.b", ANY),
        ("null", ANY),
        ("field('x y')", ANY),
        ("iif(a > 1, 'big', 'small')", STRING),
        ("iif(a > 1, true, false)", BOOLEAN),
        ("iif(a > 1, n, 0)", NUMBER),
        ("iif(a > 1, 'x', 0)", ANY),
        ("coalesce(a, 'none')", STRING),
        ("coalesce(a, b)", ANY),
        ("coalesce(to_date(a), to_date(b))", DATE),
        ("nullif(lower(s), '')", STRING),
    ],
)
def test_result_kind(expression: str, kind: str) -> None:
    assert result_kind(expression) == kind


def test_result_kind_of_unparsable_text_raises() -> None:
    with pytest.raises(ExpressionError, match="cannot parse expression"):
        result_kind("lower(")


def test_compile_refuses_an_invalid_expression_before_touching_spark() -> None:
    with pytest.raises(ExpressionError, match=r"^unknown function reflect\(\)"):
        compile_expression("reflect('java.lang.Runtime', 'getRuntime')", resolve=lambda path: path)


# --------------------------------------------------------------------------------------------
# The pure helpers the config and mapping checks share
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "dd/MM/yyyy hh:mm a",
        "yyyyMMddHHmmss",
        "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]xx",
        "d MMM yyyy 'at' HH 'o''clock'",
        "yyyy-MM-dd HH:mm:ss VV",
    ],
)
def test_spark_datetime_patterns_are_accepted(pattern: str) -> None:
    assert datetime_pattern_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "parsing", "message"),
    [
        (
            "YYYY-MM-dd",
            True,
            "pattern 'YYYY-MM-dd' uses the week-based letter 'Y', which Spark rejects; use 'y' for the year",
        ),
        (
            "yyyy-ww",
            True,
            "pattern 'yyyy-ww' uses the week-based letter 'w', which Spark rejects; use y, M and d",
        ),
        (
            "yyyy-MM-ddTHH:mm",
            True,
            "pattern 'yyyy-MM-ddTHH:mm' has the letter 'T', which is not a Spark pattern letter; put literal "
            "text in single quotes, for example 'T'",
        ),
        (
            "yyyy-MM-dd 'at",
            True,
            "pattern \"yyyy-MM-dd 'at\" has a quote that is never closed; close it with '",
        ),
        (
            "EEE yyyy",
            True,
            "pattern 'EEE yyyy' uses 'E', which Spark can format with but not parse; remove it (quote it as text if the input carries it)",
        ),
        ("  ", True, "the pattern is empty; write one such as yyyy-MM-dd HH:mm:ss"),
    ],
)
def test_datetime_pattern_problems(pattern: str, parsing: bool, message: str) -> None:
    assert datetime_pattern_problem(pattern, parsing=parsing) == message


def test_format_only_letters_are_fine_for_formatting() -> None:
    assert datetime_pattern_problem("EEE, d MMM yyyy QQQ", parsing=False) is None


@pytest.mark.parametrize(
    "pattern",
    [
        "^L[0-9]{7}$",
        r"\p{L}+",
        r"\p{Lu}\P{Lu}*",
        r"(?<year>[0-9]{4})-\k<year>",
        r"\Qa.b\E",
        r"a++b",
        r"x\z",
        r"(?i)abc",
    ],
)
def test_java_regexes_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


def test_regex_problems() -> None:
    assert (
        regex_problem("[a-")
        == "'[a-' is not a valid regular expression (unterminated character set at position 0); fix it"
    )
    assert (
        regex_problem("a)")
        == "'a)' is not a valid regular expression (unbalanced parenthesis at position 1); fix it"
    )


def test_zone_problems() -> None:
    assert zone_problem("UTC") is None
    assert zone_problem("America/New_York") is None
    assert zone_problem("utc") == "unknown time zone 'utc'; did you mean 'UTC'?"
    assert (
        zone_problem("Europe/Berlinn")
        == "unknown time zone 'Europe/Berlinn'; did you mean 'Europe/Berlin'?"
    )
    assert (
        zone_problem("+02:00")
        == "unknown time zone '+02:00'; use an IANA name such as UTC or America/New_York"
    )
    assert zone_problem("../../etc/passwd") == (
        "unknown time zone '../../etc/passwd'; use an IANA name such as UTC or America/New_York"
    )
