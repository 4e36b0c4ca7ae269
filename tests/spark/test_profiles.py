"""Identity stitching, guardrails, merge policies, incremental builds and lookup, on a hand-made lake.

The dataset tables are written directly (with chosen ``_ingested_at`` times) so that the expected
graphs and winners follow from the rules alone; the ingestion pipeline is tested elsewhere.

Batches, in ingestion order (caps: 4 identities per graph, 3 per record, values up to 12 chars):

  b1 accounts @t1  A1+E1 "Daniel" NYC | A2+E2+P2 "Ann" (updated 2030) | A3 "Solo" | A9+<13-char email>
  b2 crm      @t2  C1+E1 "Danny" Portland | C2+P2 "Anna" Boston
  b3 orders   @t3  o1 A1 | o2 A1+E1 | o3 A2+C2+E2+P2 (4 ids: over the record cap) | o4 A3+E5
  -- first build (full) --
  b4 crm      @t4  C3+E5+P2 "Zed" (C3-P2 would put 7 identities in one graph: dropped)
  b5 orders   @t5  o5 A9+E1 (merges A9's profile into A1's; A1's id survives)
  -- second build (incremental) --
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from lakeport import profiles as bp
from lakeport.config import load_config
from lakeport.errors import NotFoundError, UsageError
from lakeport.lake.delta import append_rows, delta_version
from lakeport.lake.layout import Lake
from lakeport.transforms.types import to_struct_type

pytestmark = pytest.mark.spark

SCHEMAS = {
    "accounts": """
class: profile
fields:
  acctId: {type: string, required: true, identity: {namespace: acct, primary: true}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
  first: {type: string}
  city: {type: string}
  updated: {type: datetime}
""",
    "crm": """
class: profile
fields:
  crmId: {type: string, required: true, identity: {namespace: crm, primary: true}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
  first: {type: string}
  city: {type: string}
""",
    "orders": """
class: event
fields:
  _id: {type: string, required: true}
  timestamp: {type: datetime, required: true}
  acctId: {type: string, identity: {namespace: acct, primary: true}}
  crmId: {type: string, identity: {namespace: crm}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
  amount: {type: double}
""",
}
CONFIG = """
lake: {root: ./lake}
datasets:
  accounts: {schema: accounts, last_updated: updated}
  crm: {schema: crm}
  orders: {schema: orders}
profiles:
  default_policy: ts
  guardrails: {max_identities_per_graph: 4, max_identities_per_record: 3, max_identity_length: 12}
  policies:
    ts: {merge: timestamp_ordered}
    acct_first: {merge: dataset_precedence, datasets: [accounts, crm]}
    solo: {identity_graph: none}
"""
T = {n: datetime(2026, 1, 1, 0, n) for n in range(1, 6)}
LONG = "x" * 9 + "@e.io"  # 14 characters: over the 12-character cap


def pid(ns: str, value: str) -> str:
    return "p" + hashlib.sha256(f"{ns}\0{value}".encode()).hexdigest()[:24]


A1, A2, A3, A9 = pid("acct", "A1"), pid("acct", "A2"), pid("acct", "A3"), pid("acct", "A9")


def _put(spark, cfg, dataset: str, batch: str, at: datetime, rows: list[dict]) -> None:
    schema = to_struct_type(cfg.dataset(dataset).schema_spec, system_columns=True)
    full = [
        tuple(
            {**r, "_batch_id": batch, "_ingested_at": at, "_source_file": f"{batch}.jsonl"}.get(n)
            for n in schema.names
        )
        for r in rows
    ]
    append_rows(spark.createDataFrame(full, schema), Lake(cfg.lake_root).dataset_path(dataset))


def _graph(spark, cfg) -> set[tuple]:
    df = spark.read.format("delta").load(Lake(cfg.lake_root).graph_path())
    return {tuple(r) for r in df.select("namespace", "id", "profile_id", "graph_size").collect()}


def _profiles(spark, cfg, policy: str) -> dict[str, dict]:
    df = spark.read.format("delta").load(Lake(cfg.lake_root).profiles_path(policy))
    out = {}
    for r in df.drop("_updated_at", "_build_id").collect():
        d = r.asDict(recursive=True)
        d["identities"] = [(i["namespace"], i["id"]) for i in d["identities"]]
        out[d.pop("profile_id")] = d
    return out


def _identity_errors(spark, cfg) -> list[tuple]:
    df = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("errors"))
    rows = df.where("severity = 'identity'").collect()
    return sorted((r.batch_id, r.dataset, r.errors[0].code, r.errors[0].field, r.raw) for r in rows)


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    cfg, state1 = _first_world(spark, tmp_path_factory.mktemp("profiles"))
    _second_batches(spark, cfg)
    second = bp.build(spark, cfg).to_json()
    return cfg, state1, second


def _first_world(spark, root: Path):
    """Batches b1-b3 and the first (full) build; returns the config and what it built."""
    (root / "conf").mkdir()
    (root / "schemas").mkdir()
    for name, text in SCHEMAS.items():
        (root / "schemas" / f"{name}.yaml").write_text(text)
    (root / "conf" / "lakeport.yaml").write_text(CONFIG)
    cfg = load_config(root / "conf" / "lakeport.yaml", lake_root=str(root / "lake"))
    _put(
        spark,
        cfg,
        "accounts",
        "b1",
        T[1],
        [
            {"acctId": "A1", "email": "E1", "first": "Daniel", "city": "NYC"},
            {
                "acctId": "A2",
                "email": "E2",
                "phone": "P2",
                "first": "Ann",
                "updated": datetime(2030, 1, 1),
            },
            {"acctId": "A3", "first": "Solo"},
            {"acctId": "A9", "email": LONG, "first": "Long"},
        ],
    )
    _put(
        spark,
        cfg,
        "crm",
        "b2",
        T[2],
        [
            {"crmId": "C1", "email": "E1", "first": "Danny", "city": "Portland"},
            {"crmId": "C2", "phone": "P2", "first": "Anna", "city": "Boston"},
        ],
    )
    _put(
        spark,
        cfg,
        "orders",
        "b3",
        T[3],
        [
            {"_id": "o1", "timestamp": datetime(2025, 5, 2), "acctId": "A1", "amount": 10.0},
            {
                "_id": "o2",
                "timestamp": datetime(2025, 5, 1),
                "acctId": "A1",
                "email": "E1",
                "amount": 20.0,
            },
            {
                "_id": "o3",
                "timestamp": datetime(2025, 5, 3),
                "acctId": "A2",
                "crmId": "C2",
                "email": "E2",
                "phone": "P2",
            },
            {"_id": "o4", "timestamp": datetime(2025, 5, 4), "acctId": "A3", "email": "E5"},
        ],
    )
    first = bp.build(spark, cfg).to_json()
    state1 = {
        "summary": first,
        "graph": _graph(spark, cfg),
        "ts": _profiles(spark, cfg, "ts"),
        "acct_first": _profiles(spark, cfg, "acct_first"),
        "solo": _profiles(spark, cfg, "solo"),
        "errors": _identity_errors(spark, cfg),
        "ts_version": first["policies"]["ts"]["deltaVersion"],
    }
    return cfg, state1


def _second_batches(spark, cfg) -> None:
    """b4 (C3-P2 would overfill a graph) and b5 (A9+E1 merges A9's profile into A1's)."""
    _put(
        spark,
        cfg,
        "crm",
        "b4",
        T[4],
        [{"crmId": "C3", "email": "E5", "phone": "P2", "first": "Zed"}],
    )
    _put(
        spark,
        cfg,
        "orders",
        "b5",
        T[5],
        [{"_id": "o5", "timestamp": datetime(2025, 4, 1), "acctId": "A9", "email": "E1"}],
    )


def test_first_build_graph_and_guardrails(spark, world) -> None:
    cfg, s1, _ = world
    assert s1["summary"]["identityGraph"]["mode"] == "full"
    events = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("events"))
    build_id = s1["summary"]["buildId"]
    assert sorted(
        (r.event_type, r.dataset, r.status, r.success_count)
        for r in events.where(events.batch_id == build_id).collect()
    ) == [
        ("ig_load_success", "identity_graph", "success", 10),
        ("ps_load_success", "profiles/acct_first", "success", 4),
        ("ps_load_success", "profiles/solo", "success", 6),
        ("ps_load_success", "profiles/ts", "success", 4),
    ]
    assert s1["graph"] == {
        ("acct", "A1", A1, 3),
        ("email", "E1", A1, 3),
        ("crm", "C1", A1, 3),
        ("acct", "A2", A2, 4),
        ("email", "E2", A2, 4),
        ("phone", "P2", A2, 4),
        ("crm", "C2", A2, 4),
        ("acct", "A3", A3, 2),
        ("email", "E5", A3, 2),
        ("acct", "A9", A9, 1),
    }
    assert s1["summary"]["identityGraph"]["guardrails"] == {
        "linksDroppedGraphOverCap": 0,
        "recordsOverIdentityCap": 1,
        "valuesTooLong": 1,
    }
    assert s1["errors"] == [
        ("b1", "accounts", "IDENTITY_TOO_LONG", "email", f'{{"acctId":"A9","email":"{LONG}"}}'),
        (
            "b3",
            "orders",
            "IDENTITY_RECORD_OVER_CAP",
            None,
            '{"acctId":"A2","crmId":"C2","email":"E2","phone":"P2"}',
        ),
    ]


def test_timestamp_ordered_and_precedence(world) -> None:
    _, s1, _ = world
    ts, first = s1["ts"], s1["acct_first"]
    assert set(ts) == set(first) == {A1, A2, A3, A9}
    # C1 (t2) is newer than A1 (t1): Danny, Portland. A2 declares updated=2030: Ann beats Anna.
    assert (ts[A1]["first"], ts[A1]["city"]) == ("Danny", "Portland")
    assert (ts[A2]["first"], ts[A2]["city"]) == ("Ann", "Boston")
    assert (first[A1]["first"], first[A1]["city"]) == ("Daniel", "NYC")
    assert (first[A2]["first"], first[A2]["city"]) == ("Ann", "Boston")
    assert ts[A1]["identities"] == [("acct", "A1"), ("crm", "C1"), ("email", "E1")]
    assert ts[A3]["identities"] == [("acct", "A3"), ("email", "E5")]
    assert ts[A1]["_provenance"]["first"] == {
        "dataset": "crm",
        "batch_id": "b2",
        "ingested_at": T[2],
    }
    assert first[A1]["_provenance"]["first"]["dataset"] == "accounts"
    assert ts[A1]["acctId"] == "A1" and ts[A1]["crmId"] == "C1" and ts[A1]["email"] == "E1"


def test_identity_graph_none_keeps_each_primary(world) -> None:
    _, s1, _ = world
    solo = s1["solo"]
    assert {k: (v["identities"], v["first"]) for k, v in solo.items()} == {
        A1: ([("acct", "A1")], "Daniel"),
        A2: ([("acct", "A2")], "Ann"),
        A3: ([("acct", "A3")], "Solo"),
        A9: ([("acct", "A9")], "Long"),
        pid("crm", "C1"): ([("crm", "C1")], "Danny"),
        pid("crm", "C2"): ([("crm", "C2")], "Anna"),
    }


def test_incremental_build_grows_merges_and_drops(spark, world) -> None:
    cfg, s1, second = world
    assert second["identityGraph"]["mode"] == "incremental"
    assert second["policies"]["ts"]["mode"] == "incremental"
    # the policies took the recomputed profiles' graph rows from the graph build just made
    assert {p: second["policies"][p].get("graphRowsFrom") for p in second["policies"]} == {
        "ts": "build",
        "acct_first": "build",
        "solo": None,
    }
    graph = _graph(spark, cfg)
    assert {r for r in graph if r[2] == A1} == {
        ("acct", "A1", A1, 4),
        ("email", "E1", A1, 4),
        ("crm", "C1", A1, 4),
        ("acct", "A9", A1, 4),
    }
    # A3 grows and keeps its id; C3-P2 would join A2's full graph: dropped, reported for b4
    assert {r for r in graph if r[2] == A3} == {
        ("acct", "A3", A3, 3),
        ("email", "E5", A3, 3),
        ("crm", "C3", A3, 3),
    }
    assert second["identityGraph"]["guardrails"]["linksDroppedGraphOverCap"] == 1
    errors = _identity_errors(spark, cfg)
    dropped = [e for e in errors if e[2] == "IDENTITY_GRAPH_OVER_CAP"]
    assert len(dropped) == 1 and dropped[0][:2] == ("b4", "crm")
    assert sorted(dropped[0][4].split(" <-> ")) == ["crm:C3", "phone:P2"]
    merges = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("profile_merges"))
    assert [(r.merged_profile_id, r.into_profile_id) for r in merges.collect()] == [(A9, A1)]
    ts = _profiles(spark, cfg, "ts")
    assert set(ts) == {A1, A2, A3}
    assert ts[A3]["first"] == "Zed" and ts[A3]["_provenance"]["first"]["batch_id"] == "b4"
    # the change feed of the incremental build holds exactly the changed and removed profiles
    path = Lake(cfg.lake_root).profiles_path("ts")
    changes = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", s1["ts_version"] + 1)
        .load(path)
        .where("_change_type <> 'update_preimage'")
    )
    assert sorted((r.profile_id, r._change_type) for r in changes.collect()) == sorted(
        [(A1, "update_postimage"), (A3, "update_postimage"), (A9, "delete")]
    )


def test_incremental_equals_full_rebuild(spark, world) -> None:
    cfg, _, _ = world
    before = {p: _profiles(spark, cfg, p) for p in ("ts", "acct_first", "solo")}
    graph = _graph(spark, cfg)
    versions = {p: delta_version(spark, Lake(cfg.lake_root).profiles_path(p)) for p in before}
    again = bp.build(spark, cfg, force_full=True).to_json()
    assert again["identityGraph"]["mode"] == "full"
    assert _graph(spark, cfg) == graph
    for p, rows in before.items():
        assert _profiles(spark, cfg, p) == rows
        # a full rebuild that changes nothing rewrites no profile: no new change rows
        path = Lake(cfg.lake_root).profiles_path(p)
        changes = (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", versions[p])
            .load(path)
            .where(f"_commit_version > {versions[p]}")
        )
        assert changes.count() == 0
    # nothing new: the next build is a no-op
    assert bp.build(spark, cfg).to_json()["policies"]["ts"]["mode"] == "unchanged"


def test_lookup_by_every_namespace(spark, world) -> None:
    cfg, _, _ = world
    for ns, value in (("acct", "A1"), ("email", "E1"), ("crm", "C1"), ("acct", "A9")):
        got = bp.lookup(spark, cfg, ns, value).to_json()
        assert got["profileId"] == A1
        assert got["identities"] == [
            {"namespace": "acct", "id": "A1"},
            {"namespace": "acct", "id": "A9"},
            {"namespace": "crm", "id": "C1"},
            {"namespace": "email", "id": "E1"},
        ]
    got = bp.lookup(spark, cfg, "phone", "P2", "acct_first", events=True).to_json()
    assert got["profileId"] == A2 and got["merge"] == "dataset_precedence"
    assert got["attributes"] == {
        "acctId": "A2",
        "email": "E2",
        "phone": "P2",
        "first": "Ann",
        "city": "Boston",
        "updated": "2030-01-01T00:00:00Z",
        "crmId": "C2",
    }
    assert got["sources"]["city"] == {
        "dataset": "crm",
        "batchId": "b2",
        "ingestedAt": "2026-01-01T00:02:00Z",
    }
    assert [e["_id"] for e in got["events"]] == ["o3"]
    events = bp.lookup(spark, cfg, "crm", "C1", events=True).to_json()["events"]
    assert [(e["_id"], e["timestamp"]) for e in events] == [
        ("o5", "2025-04-01T00:00:00.000000Z"),
        ("o2", "2025-05-01T00:00:00.000000Z"),
        ("o1", "2025-05-02T00:00:00.000000Z"),
    ]
    with pytest.raises(NotFoundError, match="no profile holds identity acct:'A7'"):
        bp.lookup(spark, cfg, "acct", "A7").to_json()
    with pytest.raises(
        UsageError,
        match="no identity namespace 'loyalty' in the schemas; use one of: acct, crm, email, phone",
    ):
        bp.lookup(spark, cfg, "loyalty", "A1").to_json()


@pytest.mark.parametrize("step", ["merges-written", "graph-written"])
def test_a_build_killed_at_a_commit_is_completed_by_the_rerun(
    spark, tmp_path, monkeypatch, step
) -> None:
    """Killed right after the merges or the identity-graph commit, the re-run still records the
    merge of A9 into A1 (exactly once) and ends where an uninterrupted build ends."""
    from lakeport.lake import hooks

    class Killed(BaseException):  # like a SIGKILL: no except clause catches it
        pass

    def killed(code: int) -> None:
        raise Killed(code)

    cfg, _ = _first_world(spark, tmp_path)
    _second_batches(spark, cfg)
    monkeypatch.setattr(hooks, "_exit", killed)
    monkeypatch.setenv(hooks.CRASH_ENV, step)
    with pytest.raises(Killed):
        bp.build(spark, cfg)
    monkeypatch.delenv(hooks.CRASH_ENV)
    bp.build(spark, cfg)
    merges = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("profile_merges"))
    assert [(r.merged_profile_id, r.into_profile_id) for r in merges.collect()] == [(A9, A1)]
    assert {r for r in _graph(spark, cfg) if r[2] == A1} == {
        ("acct", "A1", A1, 4),
        ("email", "E1", A1, 4),
        ("crm", "C1", A1, 4),
        ("acct", "A9", A1, 4),
    }
    assert set(_profiles(spark, cfg, "ts")) == {A1, A2, A3}


def test_a_policy_behind_the_graph_reads_the_graph_table(spark, tmp_path) -> None:
    """A policy whose last build read an older graph than this run's graph build started from
    takes its graph rows from the table (the in-run frame would miss the earlier changes), and
    still ends where a full rebuild ends."""
    cfg, _ = _first_world(spark, tmp_path)
    _second_batches(spark, cfg)
    first = bp.build(spark, cfg, policy="ts").to_json()
    assert first["identityGraph"]["mode"] == "incremental"
    assert list(first["policies"]) == ["ts"]
    assert first["policies"]["ts"]["graphRowsFrom"] == "build"
    behind = bp.build(spark, cfg).to_json()
    assert behind["identityGraph"]["mode"] == "unchanged"
    assert behind["policies"]["ts"]["mode"] == "unchanged"
    assert behind["policies"]["acct_first"]["mode"] == "incremental"
    assert behind["policies"]["acct_first"]["graphRowsFrom"] == "table"
    built = {p: _profiles(spark, cfg, p) for p in ("ts", "acct_first")}
    bp.build(spark, cfg, force_full=True)
    assert {p: _profiles(spark, cfg, p) for p in ("ts", "acct_first")} == built


@pytest.mark.slow
def test_compacting_the_lake_keeps_every_row_and_the_next_build_incremental(
    spark, tmp_path, capsys
) -> None:
    """``lakeport maintain`` bin-packs every fragmented table (OPTIMIZE): each table holds the
    rows it held, a second run finds nothing to do, and the next build stays incremental (an
    OPTIMIZE commit leaves the rows as they were) and still ends where a full rebuild ends."""
    from lakeport.cli import main
    from lakeport.lake import maintenance
    from tests.conftest import assert_frames_equal

    cfg, _ = _first_world(spark, tmp_path)
    tables = {
        t: p
        for t, p in maintenance.lake_tables(cfg, datasets=True).items()
        if delta_version(spark, p) is not None
    }
    before = {
        t: (delta_version(spark, p), maintenance.file_count(spark, p)) for t, p in tables.items()
    }
    fragmented = {t for t, (_, files) in before.items() if files >= 2}
    assert {"datasets/crm", "system/profile_builds"} <= fragmented, fragmented

    common = ["--config", str(cfg.path), "--lake", cfg.lake_root]
    code = main(["maintain", *common, "--datasets", "--min-files", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["skipped"] == {}
    assert {c["table"]: c["filesBefore"] for c in out["compacted"]} == {
        t: before[t][1] for t in fragmented
    }
    for t, p in tables.items():
        assert maintenance.file_count(spark, p) == (1 if t in fragmented else before[t][1]), t
        assert delta_version(spark, p) == before[t][0] + (t in fragmented), t
        assert_frames_equal(
            spark.read.format("delta").load(p),
            spark.read.format("delta").option("versionAsOf", before[t][0]).load(p),
        )
    again = maintenance.maintain(spark, tables, min_files=2)
    assert (again.compacted, again.skipped) == ([], {})

    _second_batches(spark, cfg)
    second = bp.build(spark, cfg).to_json()
    assert second["identityGraph"]["mode"] == "incremental"
    assert {p: part["mode"] for p, part in second["policies"].items()} == {
        p: "incremental" for p in second["policies"]
    }
    built = (_graph(spark, cfg), {p: _profiles(spark, cfg, p) for p in second["policies"]})
    bp.build(spark, cfg, force_full=True)
    assert (_graph(spark, cfg), {p: _profiles(spark, cfg, p) for p in second["policies"]}) == built
