"""Issue 16, "What a new user trips on": the checks that need no Spark.

Datetime patterns are checked the way Spark will use them, keyword path segments parse, auto-mapping
still maps a source an expression reads, ``on_invalid`` is validated, ``batch errors --severity``.
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from lakeport import cli
from lakeport.config.plan import resolve_mapping
from lakeport.expr import FUNCTIONS, parse
from lakeport.spec.mapping import MappingEntry, MappingSpec
from lakeport.spec.patterns import datetime_pattern_problem
from lakeport.spec.schema import SchemaSpec
from lakeport.spec.settings import DatasetConfig, ReaderOptions

# --------------------------------------------------------------------------------------------
# 4. datetime patterns: letter counts Spark refuses, day-of-year / minute where a date is meant
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "letters"),
    [
        ("yyyy-MM-dd HH:mm GGGGGG", "6 'G' letters"),
        ("GGGGG yyyy", "5 'G' letters"),
        ("yyyyyyy-MM-dd", "7 'y' letters"),
        ("yyyy-MMMMM-dd", "5 'M' letters"),
        ("yyyy-MM-ddd", "3 'd' letters"),
        ("yyyy-MM-dd HHH:mm", "3 'H' letters"),
        ("yyyy-MM-dd HH:mmm", "3 'm' letters"),
        ("yyyy-MM-dd HH:mm:sss", "3 's' letters"),
        ("yyyy-MM-dd HH:mm:ss.SSSSSSSSSS", "10 'S' letters"),
        ("yyyy-MM-dd hh:mm aa", "2 'a' letters"),
        ("yyyy-MM-dd HH:mm V", "1 'V' letter"),
        ("yyyy-MM-dd HH:mm OO", "2 'O' letters"),
        ("yyyy-MM-dd HH:mm XXXXXX", "6 'X' letters"),
        ("yyyy-MM-dd HH:mm zzzzz", "5 'z' letters"),
        ("yyyy-DDDD", "4 'D' letters"),
    ],
)
def test_letter_counts_spark_refuses_are_config_errors(pattern: str, letters: str) -> None:
    problem = datetime_pattern_problem(pattern)
    assert problem is not None and f"has {letters}" in problem, problem
    assert "Spark refuses" in problem


def test_the_era_message_says_what_to_write() -> None:
    assert datetime_pattern_problem("yyyy-MM-dd HH:mm GGGGGG") == (
        "pattern 'yyyy-MM-dd HH:mm GGGGGG' has 6 'G' letters in a row (era), which Spark refuses; "
        "use 1 to 4 (GGGG)"
    )


def test_format_only_letters_keep_their_own_counts() -> None:
    assert datetime_pattern_problem("EEEE, d MMM yyyy", parsing=False) is None
    assert datetime_pattern_problem("QQQQQ yyyy", parsing=False) is not None
    assert datetime_pattern_problem("FF yyyy", parsing=False) is not None


@pytest.mark.parametrize(
    ("pattern", "fixed"),
    [
        ("DD/mm/yyyy", "dd/MM/yyyy"),
        ("dd/mm/yyyy", "dd/MM/yyyy"),
        ("mm/dd/yyyy", "MM/dd/yyyy"),
        ("yyyy-mm-dd", "yyyy-MM-dd"),
        ("DD/MM/yyyy", "dd/MM/yyyy"),
        ("yyyy-MM-DD", "yyyy-MM-dd"),
        ("yyyy-MM-DD HH:mm", "yyyy-MM-dd HH:mm"),
        ("DD.MM.yyyy 'um' HH", "dd.MM.yyyy 'um' HH"),
    ],
)
def test_day_of_year_and_minute_where_a_date_is_meant(pattern: str, fixed: str) -> None:
    problem = datetime_pattern_problem(pattern)
    assert problem is not None and f"did you mean {fixed!r}?" in problem, problem


def test_the_dd_mm_message_names_both_letters() -> None:
    assert datetime_pattern_problem("DD/mm/yyyy") == (
        "pattern 'DD/mm/yyyy' reads 'D' as day-of-year and 'm' as minute, so a date would land "
        "on a wrong day; did you mean 'dd/MM/yyyy'? (d is day-of-month, M is month)"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "yyyy-DDD",  # an ordinal date: day-of-year is meant
        "yyyy-DDD HH:mm",
        "yyyy-MM-dd HH:mm",
        "dd/MM/yyyy hh:mm a",
        "HH:mm",
        "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS",
        "yyyy-MM-dd HH:mm VV",
        "yyyy-MM-dd HH:mm O",
        "yyyy-MM-dd HH:mm OOOO",
        "GGGG yyyy-MM-dd",
        "yyyyyy-MM-dd",
        "d MMMM yyyy",
    ],
)
def test_patterns_spark_takes_are_still_accepted(pattern: str) -> None:
    assert datetime_pattern_problem(pattern) is None


def test_quoted_letters_are_not_counted() -> None:
    assert datetime_pattern_problem("yyyy-MM-dd 'mmmm DDDD GGGGGG'") is None


def test_a_bad_format_is_a_config_error_in_a_mapping_and_in_an_expression() -> None:
    with pytest.raises(ValidationError, match=r"did you mean 'dd/MM/yyyy'\?"):
        MappingEntry(target="birthDate", source="dob", format="DD/mm/yyyy")
    problems = parse("to_date(dob, 'DD/mm/yyyy')").problems
    assert len(problems) == 1 and "did you mean 'dd/MM/yyyy'?" in problems[0]
    assert parse("to_datetime(t, 'yyyy-MM-dd HH:mm GGGGGG')").problems


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "yyyy-MM-dd #",
            "pattern 'yyyy-MM-dd #' has '#', which Spark reserves; quote it as text: '#'",
        ),
        ("yyyy{MM}", "pattern 'yyyy{MM}' has '{', which Spark reserves; quote it as text: '{'"),
        (
            "yyyy]",
            "pattern 'yyyy]' closes an optional section with ']' that was never opened with '['; "
            "add the '[' or quote it as text: ']'",
        ),
    ],
)
def test_characters_spark_reserves(pattern: str, message: str) -> None:
    assert datetime_pattern_problem(pattern) == message
    assert datetime_pattern_problem("yyyy-MM-dd[ HH:mm]") is None
    assert datetime_pattern_problem("yyyy-MM-dd '#'") is None


# --------------------------------------------------------------------------------------------
# 15. a field named like a Python keyword is a path segment; size() of a list
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "reads"),
    [
        ("segments[0].from", ("segments[0].from",)),
        ("upper(segments[0].from)", ("segments[0].from",)),
        ("concat(trip.from, '-', trip.to)", ("trip.from", "trip.to")),
        ("lower(class)", ("class",)),
        ("from.city", ("from.city",)),
        ("iif(is_null(return), in, def.if)", ("def.if", "in", "return")),
        ("not from", ("from",)),
    ],
)
def test_python_keywords_are_path_segments(expression: str, reads: tuple[str, ...]) -> None:
    e = parse(expression)
    assert (e.problems, e.reads) == ((), reads)


def test_keyword_rewriting_keeps_messages_and_columns() -> None:
    assert parse("lower(a.from").problems == (
        "cannot parse expression 'lower(a.from': '(' was never closed at column 6; fix the syntax",
    )
    assert parse("a.from = 1").problems == (
        "cannot parse expression 'a.from = 1': invalid syntax at column 8; fix the syntax",
    )
    assert parse("a.from.lower()").problems == (
        "calling 'a.from.lower' is not allowed; only the expression functions can be called, "
        "for example lower(x)",
    )
    # the language's own words are not fields
    assert parse("a and not b or c").reads == ("a", "b", "c")
    assert parse("lambda: 1").problems == (
        "lambda is not allowed in expressions; use the built-in functions",
    )
    assert parse("a if b else c").problems == (
        "'x if c else y' is not allowed in expressions; write iif(c, x, y)",
    )


def test_size_is_one_registry_entry() -> None:
    fn = FUNCTIONS["size"]
    assert (fn.min_args, fn.max_args, fn.returns, fn.literals) == (1, 1, "number", {})
    e = parse("size(segments)")
    assert (e.problems, e.reads, e.kind) == ((), ("segments",), "number")
    assert parse("size(a, b)").problems[0].startswith("size() takes 1 argument, got 2")


# --------------------------------------------------------------------------------------------
# 10. a source an expression reads still auto-maps to a target of its own name
# --------------------------------------------------------------------------------------------

MEMBERS = SchemaSpec.model_validate(
    {
        "name": "members",
        "class": "other",
        "fields": {
            "firstName": {"type": "string"},
            "lastName": {"type": "string"},
            "fullName": {"type": "string"},
            "memberId": {"type": "string"},
        },
    }
)


def test_sources_read_by_an_expression_still_auto_map() -> None:
    mapping = MappingSpec(
        auto=True,
        fields=[
            MappingEntry(target="fullName", expression="concat_ws(' ', first_name, last_name)"),
            MappingEntry(target="memberId", source="first_name"),  # a source entry still takes it
        ],
    )
    plan = resolve_mapping(mapping, MEMBERS, ["first_name", "last_name"])
    assert plan.auto_mapped == {"lastName": "last_name"}
    assert plan.unmapped_targets == ["firstName"]
    assert plan.unmapped_sources == []
    mapping = MappingSpec(
        auto=True,
        fields=[
            MappingEntry(target="fullName", expression="concat_ws(' ', first_name, last_name)")
        ],
    )
    plan = resolve_mapping(mapping, MEMBERS, ["first_name", "last_name", "member_id"])
    assert plan.auto_mapped == {
        "firstName": "first_name",
        "lastName": "last_name",
        "memberId": "member_id",
    }
    assert plan.unmapped_targets == [] and plan.unmapped_sources == []
    assert sorted(plan.source_paths) == ["first_name", "last_name", "member_id"]


# --------------------------------------------------------------------------------------------
# 13. batch errors --severity warning|error|all
# --------------------------------------------------------------------------------------------


class _Rows:
    def limit(self, n: int) -> _Rows:
        return self

    def collect(self) -> list:
        return []


class _Facade:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def errors(self, batch_id: str, *, code: str | None = None, severity: str | None = "error"):
        self.calls.append((batch_id, code, severity))
        return _Rows()


@pytest.mark.parametrize(
    ("flags", "severity"),
    [([], "error"), (["--severity", "warning"], "warning"), (["--severity", "all"], None)],
)
def test_batch_errors_severity(flags: list[str], severity: str | None, monkeypatch) -> None:
    from lakeport.cli.context import Context

    monkeypatch.setenv("LAKEPORT_READONLY", "off")  # the facade answers, not the Spark-less path

    args = cli.build_parser().parse_args(
        ["batch", "errors", "b1", "--code", "DATETIME_DST_GAP", *flags]
    )
    ctx = Context(args)
    facade = _Facade()
    ctx._lakeport = facade  # type: ignore[assignment]
    assert args.handler(ctx) == 0
    assert facade.calls == [("b1", "DATETIME_DST_GAP", severity)]


def test_batch_errors_refuses_an_unknown_severity(capsys) -> None:
    assert cli.main(["batch", "errors", "b1", "--severity", "warn"]) == 2
    assert "invalid choice: 'warn'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# 5. on_invalid: null | fail, per dataset (lakeport.yaml) and per field (schema), field wins
# --------------------------------------------------------------------------------------------


def test_dataset_on_invalid() -> None:
    assert DatasetConfig.model_validate({}).on_invalid == "null"
    assert DatasetConfig.model_validate(yaml.safe_load("on_invalid: fail")).on_invalid == "fail"
    # YAML reads an unquoted null as nothing: it still means "null the value"
    assert DatasetConfig.model_validate(yaml.safe_load("on_invalid: null")).on_invalid == "null"
    with pytest.raises(ValidationError, match="on_invalid"):
        DatasetConfig.model_validate({"on_invalid": "drop"})


def _field(text: str) -> SchemaSpec:
    return SchemaSpec.model_validate({"class": "other", "fields": yaml.safe_load(text)})


def test_field_on_invalid() -> None:
    fields = _field(
        "{a: {type: integer}, b: {type: integer, on_invalid: fail}, c: {type: integer, on_invalid: null}}"
    ).fields
    assert (fields["a"].on_invalid, fields["b"].on_invalid, fields["c"].on_invalid) == (
        None,  # the dataset's setting
        "fail",
        "null",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{a: {type: integer, required: true, on_invalid: null}}",
            "a required field always fails the row when its value does not convert; remove on_invalid",
        ),
        (
            "{a: {type: object, on_invalid: fail, fields: {b: {type: string}}}}",
            "applies to fields that hold a value, not to objects; set it on the sub-fields",
        ),
        (
            "{a: {type: array, items: {type: integer, on_invalid: fail}}}",
            "applies to the whole array or map field, not to its items or values; move it up",
        ),
    ],
)
def test_on_invalid_where_it_cannot_apply(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _field(text)


def test_encoding_errors_option() -> None:
    assert ReaderOptions().encoding_errors == "warn"
    assert (
        DatasetConfig.model_validate(
            {"options": {"encoding_errors": "fail"}}
        ).options.encoding_errors
        == "fail"
    )
    with pytest.raises(ValidationError, match="does not apply to format parquet"):
        DatasetConfig.model_validate({"format": "parquet", "options": {"encoding_errors": "fail"}})
