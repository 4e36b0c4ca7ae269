"""Identities from the datasets: one row per record with its valid identities, the links they
make, and the errors of the rules (junk values, values too long, records over the identity cap,
links refused by the graph cap or a unique namespace).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode
from lakeport.lake.delta import is_delta
from lakeport.lake.layout import Lake
from lakeport.lake.tables import ERROR_STRUCT
from lakeport.profiles.replay import CAP
from lakeport.profiles.rules import junk_reason, normalised, priority_rank
from lakeport.profiles.tables import identity_datasets, in_batches, node_key, read_dataset

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Config


def identity_records(
    spark: SparkSession,
    cfg: Config,
    batches: set[str] | None = None,
    versions: dict[str, int] | None = None,
) -> DataFrame | None:
    """One row per dataset record with identities: ``valid``, ``junk``, ``too_long``, ``over_cap``.

    ``valid`` holds ``struct(namespace, id, field, primary, junk)`` for each present identity,
    its value normalised (``profiles.identity_rules``), neither junk nor longer than the cap;
    the record's highest-priority identity comes first (``priority``, then the primary, then
    schema order): the one its links start from. ``raw`` is the record's identity fields as they
    were sent. ``versions`` pins datasets to the Delta versions the build's scope was read at.
    None when no dataset with identities has a table yet.
    """
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    rules = cfg.profiles.identity_rules
    frames = []
    for d in identity_datasets(cfg):
        path = lake.dataset_path(d.name)
        if not is_delta(spark, path):
            continue
        declared = list(d.schema_spec.identities())
        sent_order = sorted(declared, key=lambda ps: not ps[1].primary)
        specs = sorted(
            declared,
            key=lambda ps: (priority_rank(rules, ps[1].namespace), not ps[1].primary),
        )
        df = in_batches(
            read_dataset(spark, path, (versions or {}).get(d.name)), "_batch_id", batches
        )
        items = []
        for p, spec in specs:
            value = normalised(rules, spec.namespace, F.col(p).cast("string"))
            items.append(
                F.struct(
                    F.lit(spec.namespace).alias("namespace"),
                    value.alias("id"),
                    F.lit(p).alias("field"),
                    F.lit(spec.primary).alias("primary"),
                    junk_reason(rules, spec.namespace, value).alias("junk"),
                )
            )
        sent = [F.col(p).cast("string") for p, _ in specs]
        present = F.array(
            *[
                F.when(raw.isNotNull() & (raw != ""), item)
                for raw, item in zip(sent, items, strict=True)
            ]
        )
        frames.append(
            df.select(
                F.lit(d.name).alias("dataset"),
                F.col("_batch_id").alias("batch_id"),
                F.col("_ingested_at").alias("ingested_at"),
                F.col("_source_file").alias("source_file"),
                F.filter(present, lambda x: x.isNotNull()).alias("ids"),
                F.to_json(F.struct(*[F.col(p).alias(p) for p, _ in sent_order])).alias("raw"),
            )
        )
    if not frames:
        return None
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    junk = F.filter("ids", lambda x: x["junk"].isNotNull())
    kept = F.filter("ids", lambda x: x["junk"].isNull())
    too_long = F.filter(kept, lambda x: F.length(x["id"]) > guard.max_identity_length)
    valid = F.filter(kept, lambda x: F.length(x["id"]) <= guard.max_identity_length)
    return (
        df.withColumn("junk", junk)
        .withColumn("too_long", too_long)
        .withColumn("valid", valid)
        .withColumn("over_cap", F.size("valid") > guard.max_identities_per_record)
        .drop("ids")
    )


def occurrences(records: DataFrame) -> DataFrame:
    """Identity occurrences (nodes): every valid identity; only the primary of over-cap records."""
    from pyspark.sql import functions as F

    nodes = F.when(F.col("over_cap"), F.filter("valid", lambda x: x["primary"])).otherwise(
        F.col("valid")
    )
    return records.select("dataset", "batch_id", "ingested_at", F.explode(nodes).alias("n")).select(
        F.col("n.namespace").alias("namespace"),
        F.col("n.id").alias("id"),
        "dataset",
        "batch_id",
        "ingested_at",
    )


def record_links(records: DataFrame) -> DataFrame:
    """Links: each record's first identity to each of its others, normalised src < dst."""
    from pyspark.sql import functions as F

    linking = records.where(~F.col("over_cap") & (F.size("valid") >= 2))
    pairs = linking.select(
        "dataset",
        "batch_id",
        "ingested_at",
        F.col("valid")[0].alias("a"),
        F.posexplode("valid").alias("pos", "b"),
    ).where("pos > 0")
    a_key = node_key(F.col("a.namespace"), F.col("a.id"))
    b_key = node_key(F.col("b.namespace"), F.col("b.id"))
    swap = a_key > b_key
    return pairs.select(
        F.least(a_key, b_key).alias("src"),
        F.greatest(a_key, b_key).alias("dst"),
        F.when(swap, F.col("b.namespace")).otherwise(F.col("a.namespace")).alias("src_namespace"),
        F.when(swap, F.col("b.id")).otherwise(F.col("a.id")).alias("src_id"),
        F.when(swap, F.col("a.namespace")).otherwise(F.col("b.namespace")).alias("dst_namespace"),
        F.when(swap, F.col("a.id")).otherwise(F.col("b.id")).alias("dst_id"),
        "dataset",
        "batch_id",
        "ingested_at",
    ).where("src <> dst")


def earliest(df: DataFrame, keys: list[str], order: tuple[str, ...], rest: list[str]) -> DataFrame:
    """The earliest row per key by ``order`` (a deterministic min over a struct)."""
    from pyspark.sql import functions as F

    cols = list(dict.fromkeys([*order, *rest]))
    picked = df.groupBy(*keys).agg(F.min(F.struct(*[F.col(c) for c in cols])).alias("_m"))
    return picked.select(*keys, *[F.col(f"_m.{c}").alias(c) for c in cols if c not in keys])


def identity_errors(records: DataFrame, build_id: str, now: Any) -> DataFrame:
    """Rows for system/errors: junk values, values over the length cap, records over the id cap."""
    from pyspark.sql import functions as F

    guard_len = "identity values longer than the cap are ignored"
    long_errors = F.transform(
        "too_long",
        lambda x: F.struct(
            F.lit(ErrorCode.IDENTITY_TOO_LONG.value).alias("code"),
            x["field"].alias("field"),
            F.concat(
                F.lit("the "),
                x["namespace"],
                F.lit(" value is "),
                F.length(x["id"]).cast("string"),
                F.lit(f" characters; {guard_len} (profiles.guardrails.max_identity_length)"),
            ).alias("message"),
        ),
    )
    over = F.when(
        F.col("over_cap"),
        F.array(
            F.struct(
                F.lit(ErrorCode.IDENTITY_RECORD_OVER_CAP.value).alias("code"),
                F.lit(None).cast("string").alias("field"),
                F.concat(
                    F.lit("the record has "),
                    F.size("valid").cast("string"),
                    F.lit(
                        " identities, more than profiles.guardrails.max_identities_per_record; "
                        "none of them is linked (its primary identity stands alone)"
                    ),
                ).alias("message"),
            )
        ),
    ).otherwise(F.array().cast(ERROR_STRUCT))
    junk_errors = F.transform(
        "junk",
        lambda x: F.struct(
            F.lit(ErrorCode.IDENTITY_JUNK_VALUE.value).alias("code"),
            x["field"].alias("field"),
            F.concat(
                F.lit("the "),
                x["namespace"],
                F.lit(" value '"),
                F.substring(x["id"], 1, 64),
                F.lit("' is junk: "),
                x["junk"],
                F.lit("; it is not an identity"),
            ).alias("message"),
        ),
    )
    errors = F.concat(junk_errors, long_errors, over)
    flagged = (F.size("junk") > 0) | (F.size("too_long") > 0) | F.col("over_cap")
    return records.where(flagged).select(
        F.col("batch_id"),
        "dataset",
        F.lit("identity").alias("severity"),
        errors.cast(ERROR_STRUCT).alias("errors"),
        "raw",
        "source_file",
        F.lit(None).cast("long").alias("line"),
        F.lit(now).cast("timestamp").alias("recorded_at"),
    )


def drop_errors(dropped: DataFrame, cap: int, now: Any) -> DataFrame:
    """Rows for system/errors: links the replay refused (``reason``: ``cap`` or the namespace)."""
    from pyspark.sql import functions as F

    over_cap = F.struct(
        F.lit(ErrorCode.IDENTITY_GRAPH_OVER_CAP.value).alias("code"),
        F.lit(None).cast("string").alias("field"),
        F.lit(
            f"linking these identities would put more than {cap} identities in one graph "
            "(profiles.guardrails.max_identities_per_graph); the link was dropped"
        ).alias("message"),
    )
    unique = F.struct(
        F.lit(ErrorCode.IDENTITY_UNIQUE_NAMESPACE.value).alias("code"),
        F.lit(None).cast("string").alias("field"),
        F.concat(
            F.lit("linking these identities would put a second "),
            F.col("reason"),
            F.lit(" value in one graph (profiles.identity_rules.namespaces."),
            F.col("reason"),
            F.lit(".unique); the link was dropped, the older links kept"),
        ).alias("message"),
    )
    return dropped.select(
        "batch_id",
        "dataset",
        F.lit("identity").alias("severity"),
        F.array(F.when(F.col("reason") == CAP, over_cap).otherwise(unique))
        .cast(ERROR_STRUCT)
        .alias("errors"),
        F.concat_ws(
            "",
            "src_namespace",
            F.lit(":"),
            "src_id",
            F.lit(" <-> "),
            "dst_namespace",
            F.lit(":"),
            "dst_id",
        ).alias("raw"),
        F.lit(None).cast("string").alias("source_file"),
        F.lit(None).cast("long").alias("line"),
        F.lit(now).cast("timestamp").alias("recorded_at"),
    )
