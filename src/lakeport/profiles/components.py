"""Identity graphs on Spark: connected components (large-star / small-star) and the size cap.

Nodes are identities, each keyed by a 64-bit hash of ``(namespace, value)``; edges are the links
rows make between the identities they carry. Components are found with the alternating
large-star / small-star algorithm of Kiveris et al., "Connected Components in MapReduce and
Beyond" (SoCC 2014): each round is two joins and two aggregations on DataFrames, and the number of
rounds grows with the logarithm of the component diameter. When the edge set stops changing every
component is a star around its smallest key, which becomes the component's label.

GraphFrames (the well-kept library for this) publishes no build for Spark 4.2 on Maven Central,
so lakeport carries this algorithm; ``tests/spark/test_graph.py`` checks it against networkx.

The guardrail (at most N identities per graph) is applied per component: components within the
cap are profiles as they are; larger ones are replayed link by link, oldest link first, with a
union-find that refuses any link that would join two parts into more than N identities. That
replay is a grouped pandas function over the over-cap components only (rare, and each small
enough for one task); the links it refuses are reported.

Example:
    >>> comps = connected_components(spark, edges)      # edges: src long, dst long  # doctest: +SKIP
    >>> comps.columns  # doctest: +SKIP
    ['node', 'component']
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

MAX_ROUNDS = 200


def _normalise(edges: DataFrame, a: str, b: str) -> DataFrame:
    from pyspark.sql import functions as F

    return (
        edges.select(F.least(a, b).alias("a"), F.greatest(a, b).alias("b"))
        .where("a <> b")
        .distinct()
    )


def _large_star(e: DataFrame) -> DataFrame:
    """Connect every strictly larger neighbour of a node to the node's smallest neighbour (or itself)."""
    from pyspark.sql import functions as F

    both = e.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
        e.select(F.col("b").alias("u"), F.col("a").alias("v"))
    )
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
    out = both.where("v > u").join(smallest, "u").select("v", "m")
    return _normalise(out, "v", "m")


def _small_star(e: DataFrame) -> DataFrame:
    """Connect a node and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    # after normalisation a < b: b's smaller neighbours are the a's
    smallest = e.groupBy("b").agg(F.min("a").alias("m"))
    joined = e.join(smallest, "b")
    out = joined.select(F.col("a").alias("x"), "m").unionByName(
        joined.select(F.col("b").alias("x"), "m")
    )
    return _normalise(out, "x", "m")


def connected_components(
    spark: SparkSession, edges: DataFrame, nodes: DataFrame | None = None
) -> DataFrame:
    """Label every node with the smallest node key of its connected component.

    Args:
        edges: ``src long, dst long`` (undirected; duplicates and self-links are fine).
        nodes: optional ``node long`` frame of nodes that may have no edge (kept as singletons).

    Returns:
        ``node long, component long``, one row per node.
    """
    from pyspark.sql import functions as F

    e = _normalise(edges, "src", "dst").localCheckpoint()
    rounds = 0
    while True:
        rounds += 1
        if rounds > MAX_ROUNDS:  # pragma: no cover - the algorithm converges in O(log^2 n)
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        nxt = _small_star(_large_star(e)).localCheckpoint()
        # one action per round: the edge set is unchanged when no edge is on one side only
        diff = nxt.withColumn("n", F.lit(1)).join(
            e.withColumn("o", F.lit(1)), ["a", "b"], "full_outer"
        )
        same = diff.where("n IS NULL OR o IS NULL").isEmpty()
        e = nxt
        if same:
            break
    log.info("connected components converged in %d rounds", rounds)
    # a star around its smallest key: a is the centre
    labels = e.select(F.col("b").alias("node"), F.col("a").alias("component")).unionByName(
        e.select(F.col("a").alias("node"), F.col("a").alias("component"))
    )
    all_nodes = edges.select(F.col("src").alias("node")).unionByName(
        edges.select(F.col("dst").alias("node"))
    )
    if nodes is not None:
        all_nodes = all_nodes.unionByName(nodes.select("node"))
    return (
        all_nodes.distinct()
        .join(labels.distinct(), "node", "left")
        .select("node", F.coalesce("component", "node").alias("component"))
    )


CAPPED_SCHEMA = "kind string, component long, node long, label long, src long, dst long"


def _replay(cap: int, node_order: tuple[str, ...], link_order: tuple[str, ...]) -> Any:
    """A cogrouped pandas function: replay one over-cap component's links oldest first."""

    def replay(links: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        component = int(nodes["component"].iloc[0])
        nodes = nodes.sort_values([*node_order, "node"], kind="mergesort")
        order = [int(n) for n in nodes["node"]]
        rank = {n: i for i, n in enumerate(order)}
        parent = {n: n for n in order}
        size = dict.fromkeys(order, 1)
        label = {n: n for n in order}  # root -> the earliest node of its part

        def find(x: int) -> int:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:
                parent[x], x = root, parent[x]
            return root

        links = links.sort_values([*link_order, "src", "dst"], kind="mergesort")
        dropped: list[tuple[int, int]] = []
        for src, dst in zip(links["src"], links["dst"], strict=True):
            a, b = find(int(src)), find(int(dst))
            if a == b:
                continue
            if size[a] + size[b] > cap:
                dropped.append((int(src), int(dst)))
                continue
            if size[a] < size[b]:
                a, b = b, a
            parent[b] = a
            size[a] += size[b]
            if rank[label[b]] < rank[label[a]]:
                label[a] = label[b]
        rows: list[tuple[str, int, int | None, int | None, int | None, int | None]]
        rows = [("node", component, n, label[find(n)], None, None) for n in order]
        rows += [("drop", component, None, None, s, d) for s, d in dropped]
        # object first, then nullable Int64: a float column would round 64-bit keys
        frame = pd.DataFrame(
            rows, columns=["kind", "component", "node", "label", "src", "dst"], dtype=object
        )
        return frame.astype({c: "Int64" for c in ("component", "node", "label", "src", "dst")})

    return replay


def capped_components(
    components: DataFrame,
    links: DataFrame,
    nodes: DataFrame,
    cap: int,
    *,
    node_order: tuple[str, ...],
    link_order: tuple[str, ...],
) -> tuple[DataFrame, DataFrame]:
    """Split components over ``cap`` identities by replaying their links oldest first.

    Args:
        components: ``node, component`` (from :func:`connected_components`).
        links: ``src, dst`` and the ``link_order`` columns (ascending = older).
        nodes: ``node`` and the ``node_order`` columns (ascending = seen first).
        cap: the most identities one profile may hold.

    Returns:
        ``(labels, dropped)``: labels is ``node, label`` where label is the node key of the
        earliest identity of the node's profile; dropped is ``src, dst`` of the refused links.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ranked = components.join(nodes, "node")
    sized = ranked.withColumn("size", F.count(F.lit(1)).over(Window.partitionBy("component")))
    small = sized.where(F.col("size") <= cap)
    earliest = small.groupBy("component").agg(
        F.min(F.struct(*[F.col(c) for c in node_order], F.col("node")))
        .getField("node")
        .alias("label")
    )
    small_labels = small.join(earliest, "component").select("node", "label")

    big = sized.where(F.col("size") > cap).select("component", "node", *node_order)
    big_links = links.join(
        big.select(F.col("node").alias("src"), F.col("component").alias("c")), "src"
    ).select(F.col("c").alias("component"), "src", "dst", *link_order)
    replayed = (
        big_links.groupBy("component")
        .cogroup(big.groupBy("component"))
        .applyInPandas(_replay(cap, node_order, link_order), CAPPED_SCHEMA)
    )
    replayed = replayed.localCheckpoint()
    big_labels = replayed.where("kind = 'node'").select("node", "label")
    dropped = replayed.where("kind = 'drop'").select("src", "dst")
    return small_labels.unionByName(big_labels), dropped
