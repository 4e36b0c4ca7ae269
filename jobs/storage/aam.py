"""Audience-partner inbound files (``format: aam``): file names, line parsing, the traits MERGE.

An inbound file is named ``ftp_dpm_<DPID>[_<targetDPID>]_<epoch>(.sync|.overwrite)[.N][.gz]``
and holds one user per line: ``<user id><TAB><trait>[,<trait>...]`` (traits may also be
separated by TABs). A trait is ``key=value``, a numeric trait id, ``d_sid=<id>`` (realize a trait
id) or ``d_unsid=<id>`` (remove it).

A ``format: aam`` dataset has a fixed shape, one row per (data source, target data source, user,
trait) -- see :data:`TRAIT_COLUMNS` -- and is *state*, not a log: a batch is applied with one
Delta MERGE. Its files are applied in order of (epoch, N, file name); within a file, line by line
and left to right:

- ``.sync``: each trait is added or updated (a ``key=value`` holds one value per key and user;
  a later value replaces an earlier one); ``d_unsid=<id>`` removes trait id ``<id>`` (whether it
  came as a bare id or as ``d_sid``).
- ``.overwrite``: for every user present in the file, the traits from before the file are dropped
  and the file's traits (all its lines for that user) are the user's traits; ``d_unsid`` is
  ignored in overwrite files, as on the platform.

A record is a line: malformed lines are row errors (``system/errors``, with file and line) and
count against the partial-ingestion thresholds; their traits are not applied.

Example:
    >>> parse_name("ftp_dpm_20914_21_1700000000.sync.2.gz")
    InboundName(name='ftp_dpm_20914_21_1700000000.sync.2.gz', dpid=20914, target_dpid=21, ...)
    >>> frame = validated_frame(spark, files, batch_id)     # one row per line, with _errors
    >>> merge_traits(spark, lake, ds, frame.where("size(_errors) = 0"), batch_id, [], now)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from jobs.errors import BatchError
from jobs.storage import fs, readers
from jobs.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from jobs.config import Dataset, SchemaSpec

NAME_SYNTAX = (
    "ftp_dpm_<DPID>[_<targetDPID>]_<10-digit UTC epoch seconds>(.sync|.overwrite)[.N][.gz]"
)
NAME_EXAMPLES = "ftp_dpm_21_1700000000.sync or ftp_dpm_20914_21_1700000000.overwrite.2.gz"
# One pattern for the driver (names are checked before Spark reads) and for Spark (the columns).
NAME_PATTERN = r"^ftp_dpm_([0-9]{1,18})(?:_([0-9]{1,18}))?_([0-9]{10})\.(sync|overwrite)(?:\.([0-9]{1,9}))?(\.gz)?$"
_NAME = re.compile(NAME_PATTERN)
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
MAX_USER_ID_LENGTH = 1024

# name, type, description: the dataset's columns (before the system columns)
TRAIT_COLUMNS: list[tuple[str, str, str]] = [
    ("user_id", "string", "the user id from the line, exactly as sent (case-sensitive)"),
    ("data_source_id", "long", "the DPID in the file name: the data source of the user ids"),
    (
        "target_dpid",
        "long",
        "the data source the traits belong to: the file name's target DPID, else its DPID",
    ),
    ("trait_type", "string", "kv (key=value), id (a bare numeric trait id) or sid (d_sid=<id>)"),
    ("trait_key", "string", "the key of a kv trait; the trait id (no leading zeros) otherwise"),
    ("trait_value", "string", "the value of a kv trait; null for id and sid"),
    ("file_at", "datetime", "the epoch in the name of the file that last set the trait (UTC)"),
]
USER_KEY = ["data_source_id", "target_dpid", "user_id"]
TRAIT_KEY = [*USER_KEY, "trait_type", "trait_key"]


def traits_schema() -> SchemaSpec:
    """The fixed schema of every ``format: aam`` dataset (no schema or mapping file is used).

    Example:
        >>> [name for name in traits_schema().fields][:2]
        ['user_id', 'data_source_id']
    """
    from jobs.config import SchemaSpec

    fields = {
        name: {"type": type_, "description": text, "required": name in USER_KEY}
        for name, type_, text in TRAIT_COLUMNS
    }
    fields["trait_type"]["enum"] = ["kv", "id", "sid"]
    return SchemaSpec.model_validate(
        {
            "name": "aam_traits",
            "class": "other",
            "description": "audience-partner traits",
            "fields": fields,
        }
    )


# --------------------------------------------------------------------------------------------
# File names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundName:
    """The parts of an inbound file name."""

    name: str
    dpid: int
    target_dpid: int | None
    epoch: int
    mode: Literal["sync", "overwrite"]
    split: int | None
    gzip: bool

    @property
    def order(self) -> tuple[int, int, str]:
        """Files of a batch are applied in this order: epoch, split number (none = 0), name."""
        return (self.epoch, self.split or 0, self.name)


def _name_problem(name: str) -> str:
    """Why ``name`` is not an inbound file name, in words (for names the pattern rejects)."""
    if not name.startswith("ftp_dpm_"):
        return "it does not start with 'ftp_dpm_'"
    stem = name[: -len(".gz")] if name.endswith(".gz") else name
    tail = re.search(r"\.(sync|overwrite)(\.[0-9]+)?$", stem)
    if tail is None:
        if re.search(r"\.(sync|overwrite)", stem):
            return "only a split number (.N) and .gz may follow .sync or .overwrite"
        return "it does not end in .sync or .overwrite (then optionally .N and .gz)"
    parts = stem[len("ftp_dpm_") : tail.start()].split("_")
    if len(parts) not in (2, 3) or not all(p.isdigit() and p.isascii() for p in parts):
        return (
            "between 'ftp_dpm_' and the extension there must be <DPID>[_<targetDPID>]_<timestamp>, "
            "numbers separated by '_'"
        )
    stamp = parts[-1]
    if len(stamp) != 10:
        hint = " (13 digits look like milliseconds)" if len(stamp) == 13 else ""
        return f"the timestamp {stamp} has {len(stamp)} digits; it must be 10-digit UTC epoch seconds{hint}"
    if any(len(p) > 18 for p in parts[:-1]):
        return "a DPID has more than 18 digits"
    return "the split number has more than 9 digits"


def parse_name(name: str) -> InboundName:
    """Parse an inbound file name (the last path segment of a file).

    Raises:
        ValueError: with the reason, when the name does not follow the syntax.

    Example:
        >>> parse_name("ftp_dpm_21_1700000000.overwrite").mode
        'overwrite'
    """
    match = _NAME.match(name)
    if match is None:
        raise ValueError(_name_problem(name))
    dpid, target, epoch, mode, split, gz = match.groups()
    return InboundName(
        name=name,
        dpid=int(dpid),
        target_dpid=int(target) if target else None,
        epoch=int(epoch),
        mode="sync" if mode == "sync" else "overwrite",
        split=int(split) if split else None,
        gzip=gz is not None,
    )


def check_names(files: list[fs.FileInfo], batch_id: str | None = None) -> list[InboundName]:
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
                code="BATCH_AAM_BAD_FILE_NAME",
                batch_id=batch_id,
            ) from None
    return sorted(names, key=lambda n: n.order)


# --------------------------------------------------------------------------------------------
# Lines -> one row per line with its traits and errors
# --------------------------------------------------------------------------------------------


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

    from jobs.storage.lake import ERROR_STRUCT

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
            "AAM_MALFORMED_LINE",
            None,
            F.lit("no TAB after the user id; write <user id><TAB><trait>[,<trait>...]"),
        ),
        _error(
            no_traits,
            "AAM_MALFORMED_LINE",
            None,
            F.lit("no traits after the user id; write <user id><TAB><trait>[,<trait>...]"),
        ),
        _error(
            has_tab & (F.col("user_id") == ""),
            "REQUIRED_MISSING",
            "user_id",
            F.lit("the user id before the TAB is empty"),
        ),
        _error(
            F.size(bad) > 0,
            "AAM_INVALID_TRAIT",
            "traits",
            F.concat(
                F.lit("not a trait: "),
                shown,
                F.lit(" (a trait is key=value, a numeric trait id, d_sid=<id> or d_unsid=<id>)"),
            ),
        ),
        _error(
            F.length("user_id") > MAX_USER_ID_LENGTH,
            "IDENTITY_TOO_LONG",
            "user_id",
            F.lit(f"the user id is longer than {MAX_USER_ID_LENGTH} characters"),
        ),
        _error(
            F.contains(F.col("user_id"), F.lit("@")) & F.col("user_id").rlike(_EMAIL),
            "IDENTITY_EMAIL_IN_ID",
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


def validated_frame(
    spark: SparkSession, files: list[fs.FileInfo], batch_id: str | None = None
) -> DataFrame:
    """Check the names, then read a batch's inbound files as one parsed row per line.

    Raises:
        BatchError: BATCH_AAM_BAD_FILE_NAME, and the batch checks of :func:`readers.check_files`.
    """
    from jobs.config import ReaderOptions

    check_names(files, batch_id)
    readers.check_files(spark, files, "aam", ReaderOptions(), batch_id)
    return parse_lines(readers.read_lines(spark, [f.path for f in files]))


# --------------------------------------------------------------------------------------------
# The commit: one MERGE computed from the batch
# --------------------------------------------------------------------------------------------


def batch_changes(good: DataFrame, current: DataFrame | None) -> DataFrame:
    """The batch's net effect on the traits table: one row per trait key, ``_op`` upsert or delete.

    ``good`` holds the batch's good lines (:func:`parse_lines`); ``current`` the table as it is
    (None when it does not exist yet), read only for the users an overwrite file resets.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ops = good.select(
        *USER_KEY,
        "file_at",
        "_source_file",
        "_mode",
        "_epoch",
        "_split",
        "_block",
        "_row",
        F.posexplode("_traits").alias("_pos", "_t"),
    )
    file_pos = F.struct("_epoch", "_split", "_source_file")
    # the user's last overwrite file in the batch: what came before it does not count
    ops = ops.withColumn(
        "_reset",
        F.max(F.when(F.col("_mode") == "overwrite", file_pos)).over(Window.partitionBy(*USER_KEY)),
    )
    live = ops.where(F.col("_reset").isNull() | (file_pos >= F.col("_reset")))
    kind = F.col("_t.kind")
    live = live.where(~((F.col("_mode") == "overwrite") & (kind == "unsid")))
    live = live.select(
        "*",
        F.explode(
            F.when(kind == "unsid", F.array(F.lit("id"), F.lit("sid"))).otherwise(F.array(kind))
        ).alias("trait_type"),
        F.col("_t.key").alias("trait_key"),
    )
    latest = Window.partitionBy(*TRAIT_KEY).orderBy(
        *[F.col(c).desc() for c in ("_epoch", "_split", "_source_file", "_block", "_row", "_pos")]
    )
    winners = (
        live.withColumn("_n", F.row_number().over(latest))
        .where(F.col("_n") == 1)
        .select(
            *TRAIT_KEY,
            F.col("_t.value").alias("trait_value"),
            "file_at",
            "_source_file",
            F.when(kind == "unsid", F.lit("delete")).otherwise(F.lit("upsert")).alias("_op"),
        )
    )
    if current is None:
        return winners
    reset_users = ops.where(F.col("_reset").isNotNull()).select(*USER_KEY).distinct()
    dropped = (
        current.join(reset_users, on=USER_KEY, how="inner")
        .join(winners.select(*TRAIT_KEY), on=TRAIT_KEY, how="left_anti")
        .select(
            *TRAIT_KEY,
            F.lit(None).cast("string").alias("trait_value"),
            F.lit(None).cast("timestamp").alias("file_at"),
            F.lit(None).cast("string").alias("_source_file"),
            F.lit("delete").alias("_op"),
        )
    )
    return winners.unionByName(dropped)


def merge_traits(
    spark: SparkSession,
    lake: lk.Lake,
    ds: Dataset,
    good: DataFrame,
    batch_id: str,
    replace: list[str],
    ingested_at: datetime,
) -> int | None:
    """Apply a batch's good lines to the traits table in one Delta commit; returns its version.

    Idempotent: rows this batch already wrote are not rewritten, so a re-run of the same batch
    leaves the table as it is. ``replace`` (a replay) also deletes the rows that the named
    batches wrote last and that this batch does not set.
    """
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from jobs.model.schema import to_struct_type

    path = lake.dataset_path(ds.name)
    exists = lk.is_delta(spark, path)
    # only an overwrite file needs the current table in the source (a sync batch never scans it)
    resets = exists and good.where(F.col("_mode") == "overwrite").limit(1).count() > 0
    current = spark.read.format("delta").load(path) if resets else None
    changes = batch_changes(good, current)
    target = to_struct_type(ds.schema_spec)
    rows = changes.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in target.fields],
        F.lit(batch_id).alias("_batch_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source_file"),
        F.col("_op"),
    )
    if not exists:
        lk.append_rows(rows.where(F.col("_op") == "upsert").drop("_op"), path)
        return lk.delta_version(spark, path)
    columns = [*target.names, "_batch_id", "_ingested_at", "_source_file"]
    values: dict[str, str | Column] = {c: F.col(f"s.{c}") for c in columns}
    on = " AND ".join(f"t.{c} = s.{c}" for c in TRAIT_KEY)

    def run() -> None:
        merge = (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(rows.alias("s"), on)
            .whenMatchedDelete(condition="s._op = 'delete'")
            .whenMatchedUpdate(
                condition=f"s._op = 'upsert' AND t._batch_id <> {lk.sql_string(batch_id)}",
                set=values,
            )
            .whenNotMatchedInsert(condition="s._op = 'upsert'", values=values)
        )
        if replace:
            listed = ", ".join(lk.sql_string(b) for b in replace)
            merge = merge.whenNotMatchedBySourceDelete(condition=f"t._batch_id IN ({listed})")
        merge.execute()

    lk._retry(run)
    return lk.delta_version(spark, path)
