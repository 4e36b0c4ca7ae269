"""Connected components of the identity links: contract on Spark, finish on the driver.

Nodes are identities, each keyed by a 64-bit hash of ``(namespace, value)``; edges are the links
rows make. Every node is labelled with the smallest key of its connected component.

Two paths give identical labels:

- **Driver (the default while the links fit).** When at most ``driver_max_links`` links remain,
  they are collected as Arrow batches and a vectorised union-find (numpy: hook every edge's larger
  root onto the smaller one, then pointer-jump until every pointer is a root; O(log n) passes)
  labels them; only the nodes whose label is not themselves go back to Spark. No Python UDF runs
  on a row path.
- **Spark (any size).** Rounds of the large-star / small-star steps of Kiveris et al.,
  "Connected Components in MapReduce and Beyond" (SoCC 2014), each followed by pruning: a node
  whose only edge goes to a smaller node is finished (its label is that node's label), so its
  edge leaves the working set. Identity graphs are shallow, so a few rounds empty it; the
  pruned pointers are resolved newest round first. One action per round (the count that also
  decides whether the rest fits the driver); the working set is checkpointed each round.

GraphFrames publishes no build for Spark 4.2; ``tests/spark/test_graph.py`` checks both paths
against networkx, and ``bench/profiles_bench.py`` times them against GraphX on the same links.

Example:
    >>> comps = connected_components(spark, edges)      # edges: src long, dst long  # doctest: +SKIP
    >>> comps.columns  # doctest: +SKIP
    ['node', 'component']
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

MAX_ROUNDS = 200
DRIVER_MAX_LINKS = 20_000_000
LABELS_DDL = "node long, component long"


def local_labels(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(nodes, labels)``: every endpoint, sorted, and the smallest node of its component.

    A vectorised union-find: node keys become indexes in sorted order (so a smaller index is a
    smaller key); each pass hooks the larger root of every edge whose ends have different roots
    onto the smaller one (``minimum.at``), then jumps pointers until each is a root. Every
    component that is not finished merges in each pass, so there are O(log n) passes.

    Example:
        >>> import numpy as np
        >>> nodes, labels = local_labels(np.array([5, 7, 3]), np.array([7, 9, 3]))
        >>> nodes.tolist(), labels.tolist()
        ([3, 5, 7, 9], [3, 5, 5, 5])
    """
    import numpy as np

    keys, index = np.unique(np.concatenate([src, dst]), return_inverse=True)
    m = len(src)
    s, d = index[:m], index[m:]
    parent = np.arange(len(keys))
    different = s != d
    s, d = s[different], d[different]
    while s.size:
        ps, pd = parent[s], parent[d]
        open_ = ps != pd
        s, d, ps, pd = s[open_], d[open_], ps[open_], pd[open_]
        if not s.size:
            break
        np.minimum.at(parent, np.maximum(ps, pd), np.minimum(ps, pd))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return keys, keys[parent]


def _driver_labels(spark: SparkSession, edges: DataFrame, *, dense: bool = False) -> DataFrame:
    """Collect ``a, b`` as Arrow, label locally; the nodes whose component is not themselves
    (every endpoint when ``dense``)."""
    import numpy as np
    import pyarrow as pa

    table = edges.select("a", "b").toArrow()
    src = table.column("a").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    dst = table.column("b").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    del table
    nodes, labels = local_labels(src, dst)
    moved = slice(None) if dense else nodes != labels
    out = pa.table(
        {
            "node": pa.array(nodes[moved], pa.int64()),
            "component": pa.array(labels[moved], pa.int64()),
        }
    )
    return from_arrow(spark, out, LABELS_DDL)


def from_arrow(spark: SparkSession, table: Any, ddl: str) -> DataFrame:
    """A frame of a driver-side Arrow table, in as many partitions as the cluster has cores.

    ``createDataFrame`` makes one partition per Arrow batch (10,000 rows by default): millions of
    labels would become hundreds of tiny tasks in every later stage.
    """
    if table.num_rows == 0:
        return spark.createDataFrame([], ddl)
    parts = max(1, spark.sparkContext.defaultParallelism)
    return spark.createDataFrame(table).coalesce(parts)


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
    out = both.where("v > u").join(smallest, "u", "inner").select("v", "m")
    return _normalise(out, "v", "m")


def _small_star(e: DataFrame) -> DataFrame:
    """Connect a node and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    # after normalisation a < b: b's smaller neighbours are the a's
    smallest = e.groupBy("b").agg(F.min("a").alias("m"))
    joined = e.join(smallest, "b", "inner")
    out = joined.select(F.col("a").alias("x"), "m").unionByName(
        joined.select(F.col("b").alias("x"), "m")
    )
    return _normalise(out, "x", "m")


def _prune(e: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Split off the edges ``(a, b)`` whose ``b`` has no other edge: ``b``'s label is ``a``'s.

    Returns ``(rest, pointers)``; pointers are ``node, parent`` (``parent < node``), so a
    component's smallest node is never pruned.
    """
    from pyspark.sql import functions as F

    ends = e.select(F.col("a").alias("n")).unionByName(e.select(F.col("b").alias("n")))
    single = ends.groupBy("n").count().where("count = 1").select(F.col("n").alias("b"))
    tagged = e.join(single.withColumn("leaf", F.lit(True)), "b", "left")
    rest = tagged.where(F.col("leaf").isNull()).select("a", "b")
    pointers = tagged.where(F.col("leaf")).select(
        F.col("b").alias("node"), F.col("a").alias("parent")
    )
    return rest, pointers


def component_labels(
    spark: SparkSession, edges: DataFrame, *, driver_max_links: int = DRIVER_MAX_LINKS
) -> DataFrame:
    """``node, component`` for every node whose component's smallest node is not itself.

    Nodes absent from the result are their own component (the smallest node of each component,
    and every node without an edge).

    Args:
        edges: ``src long, dst long`` (undirected; duplicates and self-links are fine).
        driver_max_links: finish on the driver once at most this many links remain (0: never).
    """
    return _labels(spark, edges, driver_max_links, dense=False)[0]


def _labels(
    spark: SparkSession, edges: DataFrame, driver_max_links: int, *, dense: bool
) -> tuple[DataFrame, bool]:
    """Labels, and whether they hold every endpoint (``dense`` and all links fit the driver)."""
    from pyspark.sql import functions as F

    raw = edges.select(F.col("src").alias("a"), F.col("dst").alias("b"))
    if driver_max_links > 0 and raw.count() <= driver_max_links:
        return _driver_labels(spark, raw, dense=dense), dense
    e = _normalise(edges, "src", "dst").localCheckpoint()
    remaining = e.count()
    rounds: list[DataFrame] = []
    base: DataFrame | None = None
    while remaining:
        if driver_max_links > 0 and remaining <= driver_max_links:
            base = _driver_labels(spark, e)
            break
        if len(rounds) >= MAX_ROUNDS:  # pragma: no cover - converges in O(log^2 n) rounds
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        e, pointers = _prune(_small_star(_large_star(e)))
        rounds.append(pointers.localCheckpoint())
        e = e.localCheckpoint()
        remaining = e.count()
    log.info("connected components: %d Spark round(s)", len(rounds))
    labels = base if base is not None else spark.createDataFrame([], LABELS_DDL)
    for pointers in reversed(rounds):
        resolved = pointers.join(
            labels.withColumnRenamed("node", "parent"), "parent", "left"
        ).select("node", F.coalesce("component", "parent").alias("component"))
        labels = labels.unionByName(resolved)
    return labels, False


def connected_components(
    spark: SparkSession,
    edges: DataFrame,
    nodes: DataFrame | None = None,
    *,
    driver_max_links: int = DRIVER_MAX_LINKS,
) -> DataFrame:
    """Label every node with the smallest node key of its connected component.

    Args:
        edges: ``src long, dst long`` (undirected; duplicates and self-links are fine).
        nodes: optional ``node long`` frame of nodes that may have no edge (kept as singletons).
        driver_max_links: finish on the driver once at most this many links remain (0: never).

    Returns:
        ``node long, component long``, one row per node.
    """
    from pyspark.sql import functions as F

    labels, dense = _labels(spark, edges, driver_max_links, dense=True)
    if dense:  # every endpoint came back from the driver
        if nodes is None:
            return labels
        alone = nodes.select("node").distinct().join(labels, "node", "left_anti")
        return labels.unionByName(alone.withColumn("component", F.col("node")))
    all_nodes = edges.select(F.col("src").alias("node")).unionByName(
        edges.select(F.col("dst").alias("node"))
    )
    if nodes is not None:
        all_nodes = all_nodes.unionByName(nodes.select("node"))
    return (
        all_nodes.distinct()
        .join(labels, "node", "left")
        .select("node", F.coalesce("component", "node").alias("component"))
    )


def with_components(nodes: DataFrame, labels: DataFrame) -> DataFrame:
    """``nodes`` (with a ``node`` column) plus its ``component`` from sparse labels."""
    from pyspark.sql import functions as F

    return nodes.join(labels, "node", "left").withColumn(
        "component", F.coalesce("component", "node")
    )
