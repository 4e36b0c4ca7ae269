"""Audience-partner inbound files (format: aam) through the real pipeline, on the corpus in tests/data/aam.

batch1: sync files (two parts .1/.2 of one epoch, one gzip, a target DPID, tab-separated traits,
bad lines, an email as user id). batch2: a sync before an overwrite, the overwrite (several lines
per user, d_unsid ignored in it) and a sync after it with d_unsid removals.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pyspark.sql import functions as F

from lakeport import cli
from lakeport.api import Lakeport
from lakeport.errors import BatchError
from lakeport.lake import fs
from lakeport.lake.catalog import get_batch
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake
from lakeport.pipeline import traits
from lakeport.readers.aam import AamReader
from tests.conftest import CONFIG, REPO

pytestmark = pytest.mark.spark

DATA = REPO / "tests" / "data" / "aam"
DS = "partner_traits"
A = "ftp_dpm_21_1700000000.sync"
B1 = "ftp_dpm_21_1700000100.sync.1"
B2 = "ftp_dpm_21_1700000100.sync.2.gz"
C = "ftp_dpm_20914_21_1700000000.sync"
S0 = "ftp_dpm_21_1700080000.sync"
OW = "ftp_dpm_21_1700086400.overwrite"
S1 = "ftp_dpm_21_1700090000.sync"
DEVICE = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


# (user_id, data_source_id, target_dpid, trait_type, trait_key, trait_value, file_at, _batch_id, file)
AFTER_BATCH1 = [
    (DEVICE, 20914, 21, "kv", "segment", "gold", at(1700000000), "b1", C),
    ("U1", 21, 21, "kv", "color", "blue", at(1700000000), "b1", A),
    ("u1", 20914, 21, "kv", "color", "yellow", at(1700000000), "b1", C),
    ("u1", 21, 21, "id", "1001", None, at(1700000000), "b1", A),
    ("u1", 21, 21, "kv", "color", "green", at(1700000000), "b1", A),
    ("u1", 21, 21, "kv", "size", "M", at(1700000000), "b1", A),
    ("u2", 21, 21, "kv", "gender", "f", at(1700000000), "b1", A),
    ("u2", 21, 21, "kv", "size", "L", at(1700000100), "b1", B1),
    ("u2", 21, 21, "sid", "5001", None, at(1700000000), "b1", A),
    ("u8", 21, 21, "kv", "city", "Berlin", at(1700000100), "b1", B2),
    ("u9", 21, 21, "id", "42", None, at(1700000100), "b1", B2),
    ("u9", 21, 21, "sid", "7", None, at(1700000100), "b1", B2),
]
AFTER_BATCH2 = [
    (DEVICE, 20914, 21, "kv", "segment", "gold", at(1700000000), "b1", C),
    ("U1", 21, 21, "kv", "color", "blue", at(1700000000), "b1", A),
    ("u1", 20914, 21, "kv", "color", "yellow", at(1700000000), "b1", C),
    ("u1", 21, 21, "id", "1001", None, at(1700086400), "b2", OW),
    ("u1", 21, 21, "kv", "color", "black", at(1700086400), "b2", OW),
    ("u1", 21, 21, "kv", "size", "S", at(1700090000), "b2", S1),
    ("u2", 21, 21, "kv", "gender", "f", at(1700000000), "b1", A),
    ("u2", 21, 21, "kv", "size", "XL", at(1700090000), "b2", S1),
    ("u2", 21, 21, "kv", "vip", "yes", at(1700080000), "b2", S0),
    ("u8", 21, 21, "kv", "city", "Berlin", at(1700000100), "b1", B2),
]
TRAIT = " (a trait is key=value, a numeric trait id, d_sid=<id> or d_unsid=<id>)"
BATCH1_ERRORS = [
    (
        A,
        5,
        "u3 color=red",
        "AAM_MALFORMED_LINE",
        None,
        "no TAB after the user id; write <user id><TAB><trait>[,<trait>...]",
    ),
    (A, 6, "\tcolor=red", "REQUIRED_MISSING", "user_id", "the user id before the TAB is empty"),
    (A, 7, "u4\tcolor=red,,1003", "AAM_INVALID_TRAIT", "traits", "not a trait: ''" + TRAIT),
    (A, 8, "u5\t=red", "AAM_INVALID_TRAIT", "traits", "not a trait: '=red'" + TRAIT),
    (
        A,
        9,
        "jane.doe@example.com\t1001",
        "IDENTITY_EMAIL_IN_ID",
        "user_id",
        "an email address in the user id; ids must not carry personal data",
    ),
    (
        A,
        10,
        "u6\t",
        "AAM_MALFORMED_LINE",
        None,
        "no traits after the user id; write <user id><TAB><trait>[,<trait>...]",
    ),
    (A, 12, "u7\td_sid=abc", "AAM_INVALID_TRAIT", "traits", "not a trait: 'd_sid=abc'" + TRAIT),
]


def _table(spark, cfg) -> list[tuple]:
    rows = spark.read.format("delta").load(Lake(cfg.lake_root).dataset_path(DS)).collect()
    return sorted(
        (
            r.user_id,
            r.data_source_id,
            r.target_dpid,
            r.trait_type,
            r.trait_key,
            r.trait_value,
            r.file_at,
            r._batch_id,
            r._source_file.rsplit("/", 1)[-1],
        )
        for r in rows
    )


def _errors(spark, cfg, batch_id: str) -> list[tuple]:
    return [
        (r.source_file.rsplit("/", 1)[-1], r.line, r.raw, e.code, e.field, e.message)
        for r in Lakeport(spark, cfg).errors(batch_id).collect()
        for e in r.errors
    ]


def test_sync_overwrite_unsid_idempotent_and_atomic(spark, cfg, capsys):
    path = Lake(cfg.lake_root).dataset_path(DS)

    # batch1: 17 records (the blank line is not one), 7 bad; partial ingestion up to 50 %
    first = (
        Lakeport(spark, cfg)
        .ingest(
            DS,
            [str(DATA / "batch1")],
            batch_id="b1",
            partial={"enabled": True, "error_threshold_percent": 50},
        )
        .to_json()
    )
    assert (first["status"], first["input_format"]) == ("success", "aam")
    m = first["metrics"]
    assert (m["inputFileCount"], m["inputRecordCount"], m["outputRecordCount"]) == (4, 17, 10)
    assert m["failedRecordCount"] == 7
    assert first["errorSummary"] == {
        "AAM_INVALID_TRAIT": 3,
        "AAM_MALFORMED_LINE": 2,
        "IDENTITY_EMAIL_IN_ID": 1,
        "REQUIRED_MISSING": 1,
    }
    assert _table(spark, cfg) == sorted(AFTER_BATCH1)
    assert _errors(spark, cfg, "b1") == BATCH1_ERRORS

    # batch2 through the CLI (in-process, same Spark session)
    code = cli.main(
        [
            "ingest",
            "--config",
            str(CONFIG),
            "--lake",
            cfg.lake_root,
            "--dataset",
            DS,
            "--batch-id",
            "b2",
            str(DATA / "batch2" / "ftp_dpm_21_*"),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (out["status"], out["metrics"]["inputRecordCount"]) == ("success", 8)
    assert out["metrics"]["outputRecordCount"] == 8
    after = _table(spark, cfg)
    assert after == sorted(AFTER_BATCH2)

    # re-running the batch id is a no-op; re-applying its MERGE changes nothing either
    version = delta_version(spark, path)
    assert (
        Lakeport(spark, cfg)
        .ingest(DS, [str(DATA / "batch2")], batch_id="b2")
        .to_json()["deltaVersion"]
        == version
    )
    full = sorted(map(tuple, spark.read.format("delta").load(path).collect()))
    files = fs.list_files(spark, [str(DATA / "batch2")])
    good = AamReader().validated(spark, files, "b2").where(F.size("_errors") == 0)
    traits.merge_traits(spark, Lake(cfg.lake_root), cfg.dataset(DS), good, "b2", [], datetime.now())
    assert sorted(map(tuple, spark.read.format("delta").load(path).collect())) == full

    # a failed batch (7 of 11 lines bad, threshold 5 %) leaves the dataset as it was
    version = delta_version(spark, path)
    with pytest.raises(BatchError) as info:
        Lakeport(spark, cfg).ingest(DS, [str(DATA / "batch1" / A)], batch_id="b3").to_json()
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    assert delta_version(spark, path) == version
    assert _table(spark, cfg) == sorted(AFTER_BATCH2)
    assert [(f, line, c) for f, line, _, c, _, _ in _errors(spark, cfg, "b3")] == [
        (f, line, c) for f, line, _, c, _, _ in BATCH1_ERRORS
    ]


def test_a_bad_file_name_fails_the_batch_before_reading(spark, cfg):
    bad = DATA / "bad_names" / "ftp_dpm_21_1700000000000.sync"
    with pytest.raises(BatchError) as info:
        Lakeport(spark, cfg).ingest(
            DS, [str(DATA / "batch1" / A), str(bad)], batch_id="bad"
        ).to_json()
    assert info.value.code == "BATCH_AAM_BAD_FILE_NAME"
    assert info.value.message == (
        f"{fs.list_files(spark, [str(bad)])[0].path}: 'ftp_dpm_21_1700000000000.sync' is not an "
        "audience-partner inbound file name: the timestamp 1700000000000 has 13 digits; it must be "
        "10-digit UTC epoch seconds (13 digits look like milliseconds). Expected "
        "ftp_dpm_<DPID>[_<targetDPID>]_<10-digit UTC epoch seconds>(.sync|.overwrite)[.N][.gz], "
        "for example ftp_dpm_21_1700000000.sync or ftp_dpm_20914_21_1700000000.overwrite.2.gz; "
        "rename the file."
    )
    state = get_batch(spark, Lake(cfg.lake_root), "bad")
    assert (state.status, state.error_code) == ("failed", "BATCH_AAM_BAD_FILE_NAME")
    assert not is_delta(spark, Lake(cfg.lake_root).dataset_path(DS))


def test_parsing_and_merge_source_have_no_python_udf(spark):
    files = fs.list_files(spark, [str(DATA / "batch1")])
    frame = AamReader().validated(spark, files, None)
    changes = traits.batch_changes(frame.where(F.size("_errors") == 0), None)
    for df in (frame, changes):
        plan = df._jdf.queryExecution().executedPlan().toString()
        for node in ("BatchEvalPython", "ArrowEvalPython", "PythonUDF", "MapInPandas"):
            assert node not in plan
