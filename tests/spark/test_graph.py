"""Connected components and the graph-size cap, checked against networkx and by hand."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from lakeport.profiles.components import capped_components, connected_components

pytestmark = pytest.mark.spark


def _components(spark, edges, nodes=()):
    e = spark.createDataFrame(edges, "src long, dst long")
    n = spark.createDataFrame([(x,) for x in nodes], "node long") if nodes else None
    return {r.node: r.component for r in connected_components(spark, e, n).collect()}


def _networkx(edges, nodes=()):
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return {n: min(c) for c in nx.connected_components(g) for n in c}


def test_matches_networkx_on_random_graphs(spark) -> None:
    rng = random.Random(7)
    n = 400
    # many small components, a few long chains and one dense cluster, plus isolated nodes
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(260)]
    edges += [(3000 + i, 3000 + rng.randrange(i + 1)) for i in range(200)]  # random trees
    chain = list(range(1000, 1060))
    edges += list(itertools.pairwise(chain))
    edges += [(2000 + rng.randrange(30), 2000 + rng.randrange(30)) for _ in range(120)]
    isolated = [5000, 5001, 5002]
    assert _components(spark, edges, isolated) == _networkx(edges, isolated)


def test_shapes_by_hand(spark) -> None:
    chain = [(1, 2), (2, 3), (3, 4), (4, 5)]
    star = [(10, 11), (10, 12), (10, 13)]
    cycle = [(20, 21), (21, 22), (22, 20)]
    self_loop = [(30, 30)]
    got = _components(spark, chain + star + cycle + self_loop)
    assert got == {
        **dict.fromkeys([1, 2, 3, 4, 5], 1),
        **dict.fromkeys([10, 11, 12, 13], 10),
        **dict.fromkeys([20, 21, 22], 20),
        30: 30,
    }


def test_cap_replays_links_oldest_first(spark) -> None:
    # one component of 6 nodes: links in age order; cap 3
    # 1-2 (ok, {1,2}), 3-4 (ok, {3,4}), 2-3 (would make 4: dropped), 1-5 (ok, {1,2,5}),
    # 4-6 (ok, {3,4,6}), 5-6 (would make 6: dropped); small component 7-8 untouched
    # node keys are 64-bit hashes in real builds: keep them large (a float would round them)
    big = 7_101_110_532_478_742_817
    links = [(1, 2, 0), (3, 4, 1), (2, 3, 2), (1, 5, 3), (4, 6, 4), (5, 6, 5), (7, 8, 6)]
    links = [(s + big, d + big, r) for s, d, r in links]
    # node ranks: 4 was seen before 3, so {3,4,6} is labelled 4
    ranks = [(1, 0), (2, 1), (4, 2), (3, 3), (5, 4), (6, 5), (8, 6), (7, 7)]
    ranks = [(n + big, r) for n, r in ranks]
    lf = spark.createDataFrame(links, "src long, dst long, link_rank long")
    comps = connected_components(spark, lf.select("src", "dst"))
    labels, dropped = capped_components(
        comps,
        lf,
        spark.createDataFrame(ranks, "node long, rank long"),
        cap=3,
        node_order=("rank",),
        link_order=("link_rank",),
    )
    got = {r.node - big: r.label - big for r in labels.collect()}
    assert got == {1: 1, 2: 1, 5: 1, 3: 4, 4: 4, 6: 4, 7: 8, 8: 8}
    assert sorted((r.src - big, r.dst - big) for r in dropped.collect()) == [(2, 3), (5, 6)]
