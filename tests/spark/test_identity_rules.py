"""The identity rules (``profiles.identity_rules``) on a hand-made lake: junk values, unique
namespaces with namespace priority, normalisation; exact graphs and exact reported drops.

The batches are written directly and recorded in the batch catalog as the pipeline records them,
so the incremental build learns its batches from the catalog (the dataset tables are not read
for batch ids: the test makes that read fail).

  b1 crm @t1  C1 " Ann@Example.COM " +1 (555) 010-0001 | C2 bob@example.com phone 0000000000 (junk)
              C3 email NULL (junk) (555) 010-0003 | C4 x@mailinator.com (junk: regex)
              C5 noreply@shop.example (junk: literal)
  b2 web  @t2 w1 D1+ann@example.com | w4 D9+" BOB@example.com"
  b2b web @t3 w2 D1+C2 (C2 and C1 in one graph: dropped) | w3 "undefined" (junk)+bob@example.com
  -- first build (full) --
  b3 crm  @t4 C6 ANN@EXAMPLE.COM (C6 and C1 in one graph: dropped) | C7 "  " (junk email)
  b3w web @t4 w5 D7 + 555 010 0003 (joins C3's graph)
  -- second build (incremental), then a full rebuild that must equal it --
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest

from lakeport import profiles as bp
from lakeport.config import load_config
from lakeport.lake.catalog import record_batch
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import append_rows, delta_version
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.profiles import state
from lakeport.readonly import ReadOnlyLake
from lakeport.transforms.types import to_struct_type

pytestmark = pytest.mark.spark

SCHEMAS = {
    "crm": """
class: profile
fields:
  crmId: {type: string, required: true, identity: {namespace: crmId, primary: true}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
  first: {type: string}
""",
    "web": """
class: event
fields:
  _id: {type: string, required: true}
  timestamp: {type: datetime, required: true}
  ecid: {type: string, identity: {namespace: ecid, primary: true}}
  crmId: {type: string, identity: {namespace: crmId}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
""",
}
CONFIG = r"""
lake: {root: ./lake}
datasets:
  crm: {schema: crm}
  web: {schema: web}
profiles:
  default_policy: ts
  identity_rules:
    priority: [crmId, email, phone, ecid]
    namespaces:
      email:
        normalise: [trim, lower]
        junk: ["NoReply@Shop.example", {regex: ".*@mailinator\\.com"}]
      phone: {normalise: [e164]}
      crmId: {unique: true}
  policies:
    ts: {merge: timestamp_ordered}
    solo: {identity_graph: none}
"""
T = {n: datetime(2026, 2, 1, 0, n) for n in range(1, 5)}
NOW = datetime(2026, 2, 1)


def pid(ns: str, value: str) -> str:
    return "p" + hashlib.sha256(f"{ns}\0{value}".encode()).hexdigest()[:24]


C1, C2, C3, C4, C5, C6, C7 = (pid("crmId", f"C{i}") for i in range(1, 8))
ANN, BOB = "ann@example.com", "bob@example.com"


def _put(spark, cfg, dataset: str, batch: str, at: datetime, rows: list[dict]) -> None:
    """Write a batch's rows and its catalog row (success, with the version its commit made)."""
    schema = to_struct_type(cfg.dataset(dataset).schema_spec, system_columns=True)
    full = [
        tuple(
            {**r, "_batch_id": batch, "_ingested_at": at, "_source_file": f"{batch}.jsonl"}.get(n)
            for n in schema.names
        )
        for r in rows
    ]
    lake = Lake(cfg.lake_root)
    append_rows(spark.createDataFrame(full, schema), lake.dataset_path(dataset))
    version = delta_version(spark, lake.dataset_path(dataset))
    record_batch(
        spark,
        lake,
        BatchRecord(batch, dataset, "success", created_at=utc_now(), delta_version=version),
    )


def _graph(spark, cfg) -> set[tuple]:
    df = spark.read.format("delta").load(Lake(cfg.lake_root).graph_path())
    return {tuple(r) for r in df.select("namespace", "id", "profile_id", "graph_size").collect()}


def _errors(spark, cfg) -> list[tuple]:
    """Every identity error entry: (batch, dataset, code, field, message, raw)."""
    df = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("errors"))
    return sorted(
        (
            (r.batch_id, r.dataset, e.code, e.field, e.message, r.raw)
            for r in df.where("severity = 'identity'").collect()
            for e in r.errors
        ),
        key=str,
    )


def _profiles(spark, cfg, policy: str) -> dict[str, dict]:
    df = spark.read.format("delta").load(Lake(cfg.lake_root).profiles_path(policy))
    out = {}
    for r in df.drop("_updated_at", "_build_id").collect():
        d = r.asDict(recursive=True)
        d["identities"] = [(i["namespace"], i["id"]) for i in d["identities"]]
        out[d.pop("profile_id")] = d
    return out


def _junk(field: str, ns: str, value: str, why: str) -> tuple[str, str, str]:
    return (
        "IDENTITY_JUNK_VALUE",
        field,
        f"the {ns} value '{value}' is junk: {why}; it is not an identity",
    )


DEFAULT = "a default junk value (profiles.identity_rules.default_junk)"
LISTED = "on profiles.identity_rules.namespaces.email.junk"
UNIQUE = (
    "linking these identities would put a second crmId value in one graph "
    "(profiles.identity_rules.namespaces.crmId.unique); the link was dropped, the older links kept"
)


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    cfg = _project(tmp_path_factory.mktemp("identity-rules"))
    _put(
        spark,
        cfg,
        "crm",
        "b1",
        T[1],
        [
            {
                "crmId": "C1",
                "email": " Ann@Example.COM ",
                "phone": "+1 (555) 010-0001",
                "first": "Ann",
            },
            {"crmId": "C2", "email": BOB, "phone": "0000000000", "first": "Bob"},
            {"crmId": "C3", "email": "NULL", "phone": "(555) 010-0003", "first": "Cy"},
            {"crmId": "C4", "email": "x@mailinator.com", "first": "Dee"},
            {"crmId": "C5", "email": "noreply@shop.example", "first": "Eve"},
        ],
    )
    _put(
        spark,
        cfg,
        "web",
        "b2",
        T[2],
        [
            {"_id": "w1", "timestamp": NOW, "ecid": "D1", "email": ANN},
            {"_id": "w4", "timestamp": NOW, "ecid": "D9", "email": " BOB@example.com"},
        ],
    )
    _put(
        spark,
        cfg,
        "web",
        "b2b",
        T[3],
        [
            {"_id": "w2", "timestamp": NOW, "ecid": "D1", "crmId": "C2"},
            {"_id": "w3", "timestamp": NOW, "ecid": "undefined", "email": BOB},
        ],
    )
    first = bp.build(spark, cfg).to_json()
    s1 = {
        "summary": first,
        "graph": _graph(spark, cfg),
        "errors": _errors(spark, cfg),
        "ts": _profiles(spark, cfg, "ts"),
        "solo": _profiles(spark, cfg, "solo"),
    }
    _put(
        spark,
        cfg,
        "crm",
        "b3",
        T[4],
        [
            {"crmId": "C6", "email": "ANN@EXAMPLE.COM", "first": "Ann2"},
            {"crmId": "C7", "email": "  ", "first": "Gus"},
        ],
    )
    _put(
        spark,
        cfg,
        "web",
        "b3w",
        T[4],
        [{"_id": "w5", "timestamp": NOW, "ecid": "D7", "phone": "555 010 0003"}],
    )

    def no_scan(*args, **kwargs):
        raise AssertionError("the incremental build read a dataset's batch ids")

    mp = pytest.MonkeyPatch()
    mp.setattr(state, "_scan", no_scan)
    try:
        second = bp.build(spark, cfg).to_json()
    finally:
        mp.undo()
    return cfg, s1, second


def test_first_build_graph_with_junk_unique_and_normalisation(world) -> None:
    _, s1, _ = world
    assert s1["graph"] == {
        ("crmId", "C1", C1, 4),
        ("email", ANN, C1, 4),
        ("phone", "+15550100001", C1, 4),
        ("ecid", "D1", C1, 4),
        ("crmId", "C2", C2, 3),
        ("email", BOB, C2, 3),
        ("ecid", "D9", C2, 3),
        ("crmId", "C3", C3, 2),
        ("phone", "+5550100003", C3, 2),
        ("crmId", "C4", C4, 1),
        ("crmId", "C5", C5, 1),
    }
    graph = s1["summary"]["identityGraph"]
    assert graph["identityRules"] == {"junkValues": 5, "linksDroppedUniqueNamespace": 1}
    assert graph["guardrails"] == {
        "linksDroppedGraphOverCap": 0,
        "recordsOverIdentityCap": 0,
        "valuesTooLong": 0,
    }


def test_first_build_reports_every_drop(spark, world) -> None:
    _, s1, _ = world
    crm = '{{"crmId":"{}","email":{},"phone":{}}}'
    assert s1["errors"] == sorted(
        [
            (
                "b1",
                "crm",
                *_junk("phone", "phone", "+00000000", DEFAULT),
                crm.format("C2", f'"{BOB}"', '"0000000000"'),
            ),
            (
                "b1",
                "crm",
                *_junk("email", "email", "null", DEFAULT),
                crm.format("C3", '"NULL"', '"(555) 010-0003"'),
            ),
            (
                "b1",
                "crm",
                *_junk("email", "email", "x@mailinator.com", LISTED),
                '{"crmId":"C4","email":"x@mailinator.com"}',
            ),
            (
                "b1",
                "crm",
                *_junk("email", "email", "noreply@shop.example", LISTED),
                '{"crmId":"C5","email":"noreply@shop.example"}',
            ),
            (
                "b2b",
                "web",
                *_junk("ecid", "ecid", "undefined", DEFAULT),
                f'{{"ecid":"undefined","email":"{BOB}"}}',
            ),
            (
                "b2b",
                "web",
                "IDENTITY_UNIQUE_NAMESPACE",
                None,
                UNIQUE,
                _link(spark, "crmId:C2", "ecid:D1"),
            ),
        ],
        key=str,
    )


def _link(spark, a: str, b: str) -> str:
    """The raw text of a dropped link: its ends in node-key order (xxhash64), as links are kept."""
    (na, va), (nb, vb) = a.split(":", 1), b.split(":", 1)
    row = spark.sql(f"SELECT xxhash64('{na}', '{va}') < xxhash64('{nb}', '{vb}') AS lt").first()
    return f"{a} <-> {b}" if row.lt else f"{b} <-> {a}"


def test_profiles_keep_raw_values_and_lookup_normalises(spark, world) -> None:
    cfg, s1, _ = world
    ts = s1["ts"]
    assert set(ts) == {C1, C2, C3, C4, C5}
    assert ts[C1]["identities"] == [
        ("crmId", "C1"),
        ("ecid", "D1"),
        ("email", ANN),
        ("phone", "+15550100001"),
    ]
    # the fragment keeps what was sent; the identity is the normalised value
    assert (ts[C1]["email"], ts[C1]["phone"]) == (" Ann@Example.COM ", "+1 (555) 010-0001")
    assert ts[C3]["email"] == "NULL" and ts[C3]["identities"] == [
        ("crmId", "C3"),
        ("phone", "+5550100003"),
    ]
    assert {k: v["identities"] for k, v in s1["solo"].items()} == {
        c: [("crmId", f"C{i}")] for i, c in enumerate((C1, C2, C3, C4, C5), start=1)
    }
    got = bp.lookup(spark, cfg, "email", "  ANN@example.com", events=True).to_json()
    assert got["profileId"] == C1
    assert [e["_id"] for e in got["events"]] == ["w1", "w2"]
    assert bp.lookup(spark, cfg, "phone", "+1 555 010 0001").to_json()["profileId"] == C1
    # the read-only path (delta-rs, no JVM) normalises the value and the events' identities alike
    ro = ReadOnlyLake(cfg)
    assert ro.lookup("email", "  ANN@example.com", events=True).to_json() == got
    assert ro.lookup("phone", "+1 555 010 0001").to_json() == (
        bp.lookup(spark, cfg, "phone", "+1 555 010 0001").to_json()
    )


def test_incremental_build_from_the_catalog(spark, world) -> None:
    cfg, _, second = world
    assert second["identityGraph"]["mode"] == "incremental"
    assert second["policies"]["ts"]["mode"] == "incremental"
    graph = _graph(spark, cfg)
    assert {r for r in graph if r[2] in (C3, C6, C7)} == {
        ("crmId", "C3", C3, 3),
        ("phone", "+5550100003", C3, 3),
        ("ecid", "D7", C3, 3),
        ("crmId", "C6", C6, 1),
        ("crmId", "C7", C7, 1),
    }
    assert {r for r in graph if r[2] == C1} == {
        ("crmId", "C1", C1, 4),
        ("email", ANN, C1, 4),
        ("phone", "+15550100001", C1, 4),
        ("ecid", "D1", C1, 4),
    }
    new = [e for e in _errors(spark, cfg) if e[0] in ("b3", "b3w")]
    nothing = "it normalises to nothing"
    assert new == [
        ("b3", "crm", *_junk("email", "email", "", nothing), '{"crmId":"C7","email":"  "}'),
        (
            "b3",
            "crm",
            "IDENTITY_UNIQUE_NAMESPACE",
            None,
            UNIQUE,
            _link(spark, "crmId:C6", f"email:{ANN}"),
        ),
    ]
    ts = _profiles(spark, cfg, "ts")
    assert set(ts) == {C1, C2, C3, C4, C5, C6, C7}
    assert ts[C6]["identities"] == [("crmId", "C6")] and ts[C6]["email"] == "ANN@EXAMPLE.COM"
    assert ts[C3]["identities"] == [("crmId", "C3"), ("ecid", "D7"), ("phone", "+5550100003")]
    assert second["policies"]["ts"]["profilesWritten"] == 3  # C3, C6, C7


def test_incremental_equals_full_rebuild(spark, world) -> None:
    cfg, _, _ = world
    before = {p: _profiles(spark, cfg, p) for p in ("ts", "solo")}
    graph, errors = _graph(spark, cfg), _errors(spark, cfg)
    again = bp.build(spark, cfg, force_full=True).to_json()
    assert again["identityGraph"]["mode"] == "full"
    assert _graph(spark, cfg) == graph
    assert _errors(spark, cfg) == errors
    for p, rows in before.items():
        assert _profiles(spark, cfg, p) == rows


def _project(root) -> Any:
    """A project of the two schemas and CONFIG under ``root``; its config, lake under it."""
    (root / "conf").mkdir()
    (root / "schemas").mkdir()
    for name, text in SCHEMAS.items():
        (root / "schemas" / f"{name}.yaml").write_text(text)
    (root / "conf" / "lakeport.yaml").write_text(CONFIG)
    return load_config(root / "conf" / "lakeport.yaml", lake_root=str(root / "lake"))


def _scans(mp: pytest.MonkeyPatch) -> list[str]:
    """The datasets whose batch ids a build reads from the table (the catalog did not say)."""
    seen: list[str] = []
    real = state._scan

    def counted(spark, cfg, name, version):
        seen.append(name)
        return real(spark, cfg, name, version)

    mp.setattr(state, "_scan", counted)
    return seen


def test_a_first_build_learns_its_batches_from_the_catalog(spark, tmp_path) -> None:
    cfg = _project(tmp_path)
    _put(spark, cfg, "crm", "b1", T[1], [{"crmId": "C1", "email": ANN}])
    _put(spark, cfg, "crm", "b2", T[2], [{"crmId": "C2", "email": BOB}])
    _put(spark, cfg, "web", "w1", T[3], [{"_id": "w1", "timestamp": NOW, "ecid": "D1"}])
    with pytest.MonkeyPatch.context() as mp:
        scans = _scans(mp)
        bp.build(spark, cfg)
    assert scans == []
    builds = state.last_builds(spark, Lake(cfg.lake_root))
    both = {"crm": ["b1", "b2"], "web": ["w1"]}
    assert builds["identity_graph"]["dataset_batches"] == both
    assert builds["profiles/ts"]["dataset_batches"] == both
    assert builds["profiles/solo"]["dataset_batches"] == {"crm": ["b1", "b2"]}  # no events


def test_a_first_build_reads_the_batch_ids_of_a_commit_the_catalog_lacks(spark, tmp_path) -> None:
    cfg = _project(tmp_path)
    _put(spark, cfg, "crm", "b1", T[1], [{"crmId": "C1", "email": ANN}])
    # rows appended to the dataset outside lakeport: no catalog row explains the commit
    schema = to_struct_type(cfg.dataset("crm").schema_spec, system_columns=True)
    row = {"crmId": "C9", "email": BOB, "_batch_id": "outside", "_ingested_at": T[2]}
    append_rows(
        spark.createDataFrame([tuple(row.get(n) for n in schema.names)], schema),
        Lake(cfg.lake_root).dataset_path("crm"),
    )
    with pytest.MonkeyPatch.context() as mp:
        scans = _scans(mp)
        bp.build(spark, cfg)
    assert scans == ["crm"]  # once per build, shared by the graph and both policies
    builds = state.last_builds(spark, Lake(cfg.lake_root))
    # web has no table yet: no batches
    assert builds["identity_graph"]["dataset_batches"] == {"crm": ["b1", "outside"], "web": []}
    assert ("crmId", "C9", pid("crmId", "C9"), 2) in _graph(spark, cfg)
