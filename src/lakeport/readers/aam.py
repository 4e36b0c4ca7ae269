"""Audience-partner inbound files (``format: aam``): names, then one parsed row per line.

An inbound file is named ``ftp_dpm_<DPID>[_<targetDPID>]_<epoch>(.sync|.overwrite)[.N][.gz]``
(:mod:`lakeport.spec.traits`) and holds one user per line: ``<user id><TAB><trait>[,<trait>...]``
(traits may also be separated by TABs). A trait is ``key=value``, a numeric trait id,
``d_sid=<id>`` (realize a trait id) or ``d_unsid=<id>`` (remove it). A record is a line: a
malformed line is a row error (``system/errors``, with file and line), never a batch failure.

The format has a fixed shape, so the reader returns the validated frame itself; the batch is then
applied to the traits table with one MERGE (:mod:`lakeport.pipeline.traits`).

Example:
    >>> frame = AamReader().validated(spark, files, batch_id)   # one row per line, with _errors  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeport.errors import BatchError, ErrorCode
from lakeport.lake.tables import ERROR_STRUCT
from lakeport.readers.base import Reader
from lakeport.readers.files import check_files, read_lines
from lakeport.spec.settings import ReaderOptions
from lakeport.spec.traits import NAME_EXAMPLES, NAME_PATTERN, NAME_SYNTAX, InboundName, parse_name

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakeport.lake.fs import FileInfo

_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
MAX_USER_ID_LENGTH = 1024


def check_names(files: list[FileInfo], batch_id: str | None = None) -> list[InboundName]:
    """Every file of a batch must have an inbound file name; returns them in application order.

    Raises:
        BatchError: BATCH_AAM_BAD_FILE_NAME, naming the first bad file and the expected syntax.
    """
    names = []
    for f in files:
        name = f.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            names.append(parse_name(name))
        except ValueError as exc:
            raise BatchError(
                f"{f.path}: {name!r} is not an audience-partner inbound file name: {exc}. "
                f"Expected {NAME_SYNTAX}, for example {NAME_EXAMPLES}; rename the file.",
                code=ErrorCode.BATCH_AAM_BAD_FILE_NAME,
                batch_id=batch_id,
            ) from None
    return sorted(names, key=lambda n: n.order)


def _error(condition: Column, code: str, field: str | None, message: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(
        condition,
        F.struct(
            F.lit(code).alias("code"),
            F.lit(field).cast("string").alias("field"),
            message.alias("message"),
        ),
    )


def _trait(token: Column) -> Column:
    """One trait token -> struct(kind, key, value, text); kind is kv, id, sid, unsid or bad."""
    from pyspark.sql import functions as F

    text = F.trim(token)
    signal = text.rlike(r"^d_(un)?sid=")
    digits = F.regexp_replace(
        F.regexp_extract(text, r"^(?:d_(?:un)?sid=)?([0-9]+)$", 1), "^0+(?=.)", ""
    )
    is_id = text.rlike(r"^[0-9]+$")
    is_sid = text.rlike(r"^d_sid=[0-9]+$")
    is_unsid = text.rlike(r"^d_unsid=[0-9]+$")
    is_kv = ~signal & text.rlike(r"^[^=]+=.+$")
    kind = (
        F.when(is_id, F.lit("id"))
        .when(is_sid, F.lit("sid"))
        .when(is_unsid, F.lit("unsid"))
        .when(is_kv, F.lit("kv"))
        .otherwise(F.lit("bad"))
    )
    key = F.when(is_kv, F.substring_index(text, "=", 1)).when(is_id | is_sid | is_unsid, digits)
    value = F.when(is_kv, F.substr(text, F.instr(text, "=") + 1))
    return F.struct(kind.alias("kind"), key.alias("key"), value.alias("value"), text.alias("text"))


def parse_lines(lines: DataFrame) -> DataFrame:
    """A line frame (``_raw``, ``_source_file``, ``_block``, ``_row``, ``_skip``) -> parsed lines.

    Adds ``user_id``, ``data_source_id``, ``target_dpid``, ``file_at``, ``_mode``, ``_epoch``,
    ``_split``, ``_traits`` (array of struct kind/key/value/text), ``_errors`` and ``_warnings``.
    Pure and native: regular expressions, ``split`` and higher-order functions only.
    """
    from pyspark.sql import functions as F

    name = F.regexp_extract(F.col("_source_file"), r"[^/]*$", 0)

    def part(i: int) -> Column:
        return F.regexp_extract(name, NAME_PATTERN, i)

    dpid = part(1).cast("long")
    target = F.coalesce(F.nullif(part(2), F.lit("")).cast("long"), dpid)
    epoch = part(3).cast("long")
    split = F.coalesce(F.nullif(part(5), F.lit("")).cast("int"), F.lit(0))

    raw = F.col("_raw")
    tab = F.instr(raw, "\t")
    has_tab = tab > 0
    user = F.when(has_tab, F.substring_index(raw, "\t", 1))
    rest = F.when(has_tab, F.substr(raw, tab + 1))
    no_traits = has_tab & (F.trim(F.regexp_replace(rest, "\t", " ")) == "")
    traits = F.when(has_tab & ~no_traits, F.transform(F.split(rest, "[\t,]", -1), _trait))
    bad = F.filter(F.col("_traits"), lambda t: t["kind"] == "bad")
    shown = F.array_join(
        F.transform(bad, lambda t: F.concat(F.lit("'"), t["text"], F.lit("'"))), ", "
    )
    errors = F.array(
        _error(
            ~has_tab,
            ErrorCode.AAM_MALFORMED_LINE.value,
            None,
            F.lit("no TAB after the user id; write <user id><TAB><trait>[,<trait>...]"),
        ),
        _error(
            no_traits,
            ErrorCode.AAM_MALFORMED_LINE.value,
            None,
            F.lit("no traits after the user id; write <user id><TAB><trait>[,<trait>...]"),
        ),
        _error(
            has_tab & (F.col("user_id") == ""),
            ErrorCode.REQUIRED_MISSING.value,
            "user_id",
            F.lit("the user id before the TAB is empty"),
        ),
        _error(
            F.size(bad) > 0,
            ErrorCode.AAM_INVALID_TRAIT.value,
            "traits",
            F.concat(
                F.lit("not a trait: "),
                shown,
                F.lit(" (a trait is key=value, a numeric trait id, d_sid=<id> or d_unsid=<id>)"),
            ),
        ),
        _error(
            F.length("user_id") > MAX_USER_ID_LENGTH,
            ErrorCode.IDENTITY_TOO_LONG.value,
            "user_id",
            F.lit(f"the user id is longer than {MAX_USER_ID_LENGTH} characters"),
        ),
        _error(
            F.contains(F.col("user_id"), F.lit("@")) & F.col("user_id").rlike(_EMAIL),
            ErrorCode.IDENTITY_EMAIL_IN_ID.value,
            "user_id",
            F.lit("an email address in the user id; ids must not carry personal data"),
        ),
    )
    empty = F.array().cast(ERROR_STRUCT)
    return (
        lines.select(
            "*",
            user.alias("user_id"),
            dpid.alias("data_source_id"),
            target.alias("target_dpid"),
            F.timestamp_seconds(epoch).alias("file_at"),
            part(4).alias("_mode"),
            epoch.alias("_epoch"),
            split.alias("_split"),
            traits.alias("_traits"),
        )
        .withColumn(
            "_errors",
            F.when(F.col("_skip"), empty).otherwise(F.filter(errors, lambda e: e.isNotNull())),
        )
        .withColumn("_warnings", empty)
    )


class AamReader(Reader):
    name = "aam"
    inspect_small_files = True

    def validated(
        self, spark: SparkSession, files: list[FileInfo], batch_id: str | None
    ) -> DataFrame:
        """Check the names, then read a batch's inbound files as one parsed row per line.

        Raises:
            BatchError: BATCH_AAM_BAD_FILE_NAME, and the batch checks of :func:`check_files`.
        """
        check_names(files, batch_id)
        check_files(spark, files, self.name, ReaderOptions(), batch_id, small_files=True)
        return parse_lines(read_lines(spark, [f.path for f in files]))

    @property
    def state_table(self) -> bool:
        return True
