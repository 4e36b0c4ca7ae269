"""Connected components and the graph-size cap, checked against networkx and by hand.

Both paths run every check: the driver finish (``DRIVER``: the links fit the driver budget) and
the Spark rounds (``SPARK``: a budget of 0, every round on Spark), for components and replays.
"""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from lakeport.profiles.components import connected_components
from lakeport.profiles.replay import capped_components

pytestmark = pytest.mark.spark
DRIVER, SPARK = 1_000_000, 0
PATHS = pytest.mark.parametrize("budget", [DRIVER, SPARK], ids=["driver", "spark"])


def _components(spark, edges, nodes=(), budget=DRIVER):
    e = spark.createDataFrame(edges, "src long, dst long")
    n = spark.createDataFrame([(x,) for x in nodes], "node long") if nodes else None
    comps = connected_components(spark, e, n, driver_max_links=budget)
    return {r.node: r.component for r in comps.collect()}


def _networkx(edges, nodes=()):
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return {n: min(c) for c in nx.connected_components(g) for n in c}


@PATHS
def test_matches_networkx_on_random_graphs(spark, budget) -> None:
    rng = random.Random(7)
    n = 400
    # many small components, a few long chains and one dense cluster, plus isolated nodes
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(260)]
    edges += [(3000 + i, 3000 + rng.randrange(i + 1)) for i in range(200)]  # random trees
    chain = list(range(1000, 1060))
    edges += list(itertools.pairwise(chain))
    edges += [(2000 + rng.randrange(30), 2000 + rng.randrange(30)) for _ in range(120)]
    isolated = [5000, 5001, 5002]
    assert _components(spark, edges, isolated, budget) == _networkx(edges, isolated)


@PATHS
def test_matches_networkx_with_hashed_keys_and_a_mixed_finish(spark, budget) -> None:
    """64-bit keys of both signs (as xxhash64 gives); a budget between the two sizes makes the
    Spark rounds hand the rest over to the driver."""
    rng = random.Random(11)
    keys = [rng.randrange(-(2**63), 2**63) for _ in range(600)]
    edges = [(keys[rng.randrange(600)], keys[rng.randrange(600)]) for _ in range(500)]
    edges += [(keys[i], keys[i + 1]) for i in range(100, 160)]  # a chain in random key order
    assert _components(spark, edges, budget=budget) == _networkx(edges)
    assert _components(spark, edges, budget=300) == _networkx(edges)


@PATHS
def test_shapes_by_hand(spark, budget) -> None:
    chain = [(1, 2), (2, 3), (3, 4), (4, 5)]
    star = [(10, 11), (10, 12), (10, 13)]
    cycle = [(20, 21), (21, 22), (22, 20)]
    self_loop = [(30, 30)]
    got = _components(spark, chain + star + cycle + self_loop, budget=budget)
    assert got == {
        **dict.fromkeys([1, 2, 3, 4, 5], 1),
        **dict.fromkeys([10, 11, 12, 13], 10),
        **dict.fromkeys([20, 21, 22], 20),
        30: 30,
    }


@PATHS
def test_cap_replays_links_oldest_first(spark, budget) -> None:
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
    comps = connected_components(spark, lf.select("src", "dst"), driver_max_links=budget)
    labels, dropped = capped_components(
        comps,
        lf,
        spark.createDataFrame(ranks, "node long, rank long"),
        cap=3,
        node_order=("rank",),
        link_order=("link_rank",),
        driver_max_links=budget,
    )
    got = {r.node - big: r.label - big for r in labels.collect()}
    assert got == {1: 1, 2: 1, 5: 1, 3: 4, 4: 4, 6: 4, 7: 8, 8: 8}
    assert sorted((r.src - big, r.dst - big) for r in dropped.collect()) == [(2, 3), (5, 6)]


@PATHS
def test_unique_namespaces_replay_oldest_first(spark, budget) -> None:
    """A shared device d links three crm customers: the oldest link wins, the later two drop;
    the same links without the rule make one graph."""
    big = 5_000_000_000_000_000_000
    nodes = [(1, "crm"), (2, "device"), (3, "crm"), (4, "email"), (5, "crm"), (6, "email")]
    # 1-2 (c1+d), 3-4 (c3+e), 2-3 (joins two crm values: dropped), 5-6 (c5+e6),
    # 2-4 (joins crm 1 and 3: dropped), 6-2 (crm 5 and 1: dropped), 4-6 (crm 3 and 5: dropped)
    links = [(1, 2, 0), (3, 4, 1), (2, 3, 2), (5, 6, 3), (2, 4, 4), (2, 6, 5), (4, 6, 6)]
    lf = spark.createDataFrame(
        [(s + big, d + big, r) for s, d, r in links], "src long, dst long, link_rank long"
    )
    nf = spark.createDataFrame(
        [(n + big, ns, i) for i, (n, ns) in enumerate(nodes)],
        "node long, namespace string, rank long",
    )
    comps = connected_components(spark, lf.select("src", "dst"), driver_max_links=budget)

    def run(unique):
        labels, dropped = capped_components(
            comps,
            lf,
            nf,
            cap=50,
            node_order=("rank",),
            link_order=("link_rank",),
            unique=unique,
            driver_max_links=budget,
        )
        got = {r.node - big: r.label - big for r in labels.collect()}
        return got, sorted((r.src - big, r.dst - big, r.reason) for r in dropped.collect())

    assert run(["crm"]) == (
        {1: 1, 2: 1, 3: 3, 4: 3, 5: 5, 6: 5},
        [(2, 3, "crm"), (2, 4, "crm"), (2, 6, "crm"), (4, 6, "crm")],
    )
    assert run([]) == (dict.fromkeys(range(1, 7), 1), [])
