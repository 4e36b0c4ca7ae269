"""The guardrails on whole graphs: the identity cap and unique namespaces, by replaying links.

A component within the cap (at most N identities) that holds at most one value of each unique
namespace is one profile as it is. Any other component is replayed link by link, oldest link
first, with a union-find that refuses a link that would join two parts into a part holding two
values of a unique namespace (``IDENTITY_UNIQUE_NAMESPACE``) or more than N identities
(``IDENTITY_GRAPH_OVER_CAP``). Each part is labelled with its earliest-seen identity.

Such components are few: their links are collected (Arrow, sorted by Spark) and replayed on the
driver while they fit ``driver_max_links``; past that, a cogrouped pandas function replays each
component in its own task. Both run :func:`replay_component`, so they give the same answer.

Example:
    >>> replay_component([(1, "crm"), (2, "email"), (3, "crm")], [(1, 2), (2, 3)], 50, {"crm"})
    ({1: 1, 2: 1, 3: 3}, [(2, 3, 'crm')])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from lakeport.profiles.components import from_arrow

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

CAP = "cap"  # the reason of a link dropped by the graph cap (else: the unique namespace)
REPLAYED_SCHEMA = (
    "kind string, component long, node long, label long, src long, dst long, reason string"
)


def replay_component(
    nodes: Sequence[tuple[int, str | None]],
    links: Iterable[tuple[int, int]],
    cap: int,
    unique: set[str] | frozenset[str],
) -> tuple[dict[int, int], list[tuple[int, int, str]]]:
    """Replay one component's links (given oldest first) under the cap and unique namespaces.

    Args:
        nodes: ``(node, namespace)`` in the order identities were first seen.
        links: ``(src, dst)``, oldest first.
        cap: the most identities one part may hold.
        unique: namespaces a part may hold one value of.

    Returns:
        ``(labels, dropped)``: node -> the earliest node of its part; refused links with their
        reason (``"cap"`` or the unique namespace they would have doubled).
    """
    rank = {n: i for i, (n, _) in enumerate(nodes)}
    parent = {n: n for n, _ in nodes}
    size = dict.fromkeys(parent, 1)
    label = {n: n for n in parent}  # root -> the earliest node of its part
    held: dict[int, dict[str, int]] = {
        n: {ns: n} for n, ns in nodes if ns is not None and ns in unique
    }

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    dropped: list[tuple[int, int, str]] = []
    for src, dst in links:
        a, b = find(src), find(dst)
        if a == b:
            continue
        ha, hb = held.get(a, {}), held.get(b, {})
        clash = sorted(ns for ns in ha if ns in hb)
        if clash:
            dropped.append((src, dst, clash[0]))
            continue
        if size[a] + size[b] > cap:
            dropped.append((src, dst, CAP))
            continue
        if size[a] < size[b]:
            a, b, ha, hb = b, a, hb, ha
        parent[b] = a
        size[a] += size[b]
        if hb:
            held[a] = {**ha, **hb}
        if rank[label[b]] < rank[label[a]]:
            label[a] = label[b]
    return {n: label[find(n)] for n in parent}, dropped


def _pandas_replay(
    cap: int, unique: frozenset[str], node_order: tuple[str, ...], link_order: tuple[str, ...]
) -> Any:
    """A cogrouped pandas function: replay one component (sorted as Spark sorts: nulls first)."""

    def replay(links: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        component = int(nodes["component"].iloc[0])
        nodes = nodes.sort_values([*node_order, "node"], kind="mergesort", na_position="first")
        links = links.sort_values(
            [*link_order, "src", "dst"], kind="mergesort", na_position="first"
        )
        spaces = nodes["namespace"] if "namespace" in nodes else [None] * len(nodes)
        labels, dropped = replay_component(
            [(int(n), s) for n, s in zip(nodes["node"], spaces, strict=True)],
            [(int(s), int(d)) for s, d in zip(links["src"], links["dst"], strict=True)],
            cap,
            unique,
        )
        rows: list[tuple[Any, ...]] = [
            ("node", component, n, lab, None, None, None) for n, lab in labels.items()
        ]
        rows += [("drop", component, None, None, s, d, r) for s, d, r in dropped]
        # object first, then nullable Int64: a float column would round 64-bit keys
        cols = ["kind", "component", "node", "label", "src", "dst", "reason"]
        frame = pd.DataFrame(rows, columns=cols, dtype=object)
        return frame.astype({c: "Int64" for c in ("component", "node", "label", "src", "dst")})

    return replay


def _driver_replay(
    big: DataFrame,
    big_links: DataFrame,
    cap: int,
    unique: frozenset[str],
    node_order: tuple[str, ...],
    link_order: tuple[str, ...],
) -> tuple[DataFrame, DataFrame]:
    import pyarrow as pa

    spark = big.sparkSession
    has_ns = "namespace" in big.columns
    n = big.orderBy("component", *node_order, "node").select(
        "component", "node", "namespace" if has_ns else big["node"].cast("string")
    )
    nt = n.toArrow()
    lt = big_links.orderBy("component", *link_order, "src", "dst").select("component", "src", "dst")
    ltab = lt.toArrow()
    node_rows = zip(*(nt.column(i).to_pylist() for i in range(3)), strict=True)
    link_rows = zip(*(ltab.column(i).to_pylist() for i in range(3)), strict=True)
    links_by = {c: [(s, d) for _, s, d in g] for c, g in groupby(link_rows, key=lambda r: r[0])}
    out_nodes: list[int] = []
    out_labels: list[int] = []
    drops: list[tuple[int, int, str]] = []
    for component, group in groupby(node_rows, key=lambda r: r[0]):
        members = [(node, ns if has_ns else None) for _, node, ns in group]
        labels, dropped = replay_component(members, links_by.get(component, []), cap, unique)
        out_nodes.extend(labels)
        out_labels.extend(labels.values())
        drops.extend(dropped)
    labels_df = from_arrow(
        spark,
        pa.table(
            {"node": pa.array(out_nodes, pa.int64()), "label": pa.array(out_labels, pa.int64())}
        ),
        "node long, label long",
    )
    src, dst, reason = zip(*drops, strict=True) if drops else ((), (), ())
    dropped_df = from_arrow(
        spark,
        pa.table(
            {
                "src": pa.array(src, pa.int64()),
                "dst": pa.array(dst, pa.int64()),
                "reason": pa.array(reason, pa.string()),
            }
        ),
        "src long, dst long, reason string",
    )
    return labels_df, dropped_df


def capped_components(
    components: DataFrame,
    links: DataFrame,
    nodes: DataFrame,
    cap: int,
    *,
    node_order: tuple[str, ...],
    link_order: tuple[str, ...],
    unique: Iterable[str] = (),
    driver_max_links: int = 20_000_000,
) -> tuple[DataFrame, DataFrame]:
    """Apply the cap and unique namespaces: replay the components that break them, oldest first.

    Args:
        components: ``node, component``.
        links: ``src, dst`` and the ``link_order`` columns (ascending = older).
        nodes: ``node`` and the ``node_order`` columns (ascending = seen first); with
            ``unique``, also ``namespace``.
        cap: the most identities one profile may hold.
        unique: namespaces of which one profile may hold at most one value.
        driver_max_links: replay on the driver while the links to replay fit (0: never).

    Returns:
        ``(labels, dropped)``: labels is ``node, label`` where label is the node key of the
        earliest identity of the node's profile; dropped is ``src, dst, reason`` of the refused
        links (reason ``cap`` or the unique namespace).
    """
    from pyspark.sql import functions as F

    uniq = frozenset(unique)
    ranked = components.join(nodes, "node", "inner")
    counts = [F.count_if(F.col("namespace") == ns).alias(f"_u{i}") for i, ns in enumerate(uniq)]
    per = ranked.groupBy("component").agg(
        F.count(F.lit(1)).alias("_size"),
        F.min(F.struct(*[F.col(c) for c in node_order], F.col("node")))
        .getField("node")
        .alias("_earliest"),
        *counts,
    )
    broken = F.col("_size") > cap
    for i in range(len(uniq)):
        broken = broken | (F.col(f"_u{i}") > 1)
    per = per.select("component", "_earliest", broken.alias("_replay")).localCheckpoint()
    if per.where("_replay").isEmpty():  # the common case: nothing breaks a rule
        labels = ranked.join(per, "component", "inner")
        empty = ranked.sparkSession.createDataFrame([], "src long, dst long, reason string")
        return labels.select("node", F.col("_earliest").alias("label")), empty
    tagged = ranked.join(per, "component", "inner").localCheckpoint()
    small_labels = tagged.where(~F.col("_replay")).select("node", F.col("_earliest").alias("label"))
    keep = ["component", "node", *node_order]
    if uniq and "namespace" not in keep:
        keep.append("namespace")
    big = tagged.where(F.col("_replay")).select(*dict.fromkeys(keep))
    big_links = links.join(
        big.select(F.col("node").alias("src"), F.col("component").alias("_c")), "src", "inner"
    ).select(F.col("_c").alias("component"), "src", "dst", *link_order)
    if driver_max_links > 0 and big_links.count() <= driver_max_links:
        big_labels, dropped = _driver_replay(big, big_links, cap, uniq, node_order, link_order)
        return small_labels.unionByName(big_labels), dropped
    replayed = (
        big_links.groupBy("component")
        .cogroup(big.groupBy("component"))
        .applyInPandas(_pandas_replay(cap, uniq, node_order, link_order), REPLAYED_SCHEMA)
    ).localCheckpoint()
    big_labels = replayed.where("kind = 'node'").select("node", "label")
    dropped = replayed.where("kind = 'drop'").select("src", "dst", "reason")
    return small_labels.unionByName(big_labels), dropped
