"""Schema evolution per dataset: strict by default, add_columns on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeport.api import Lakeport
from lakeport.config import load_config
from lakeport.errors import BatchError
from lakeport.lake.catalog import get_batch
from lakeport.lake.delta import delta_version
from lakeport.lake.layout import Lake
from tests.spark.conftest import ROWS, SCHEMA, write_jsonl

pytestmark = pytest.mark.spark

NEW_FIELD = "  nickname: {type: string}\n"


def _grow_schema(cfg) -> None:
    schema = Path(cfg.path).parent.parent / "schemas" / "people.yaml"
    schema.write_text(SCHEMA + NEW_FIELD)


def test_strict_refuses_a_grown_schema_and_leaves_the_table(spark, mini, tmp_path):
    Lakeport(spark, mini).ingest("people", [write_jsonl(tmp_path / "a.jsonl", ROWS)]).to_json()
    path = Lake(mini.lake_root).dataset_path("people")
    version = delta_version(spark, path)
    _grow_schema(mini)
    grown = load_config(mini.path, lake_root=mini.lake_root)
    with pytest.raises(BatchError) as info:
        Lakeport(spark, grown).ingest(
            "people", [write_jsonl(tmp_path / "b.jsonl", [{"id": "n1", "nickname": "Nico"}])]
        ).to_json()
    assert info.value.code == "BATCH_SCHEMA_MISMATCH"
    assert "set schema_evolution: add_columns" in info.value.message
    assert delta_version(spark, path) == version
    # the refusal is recorded: the batch is failed (not left processing) with its code
    refused = get_batch(spark, Lake(mini.lake_root), info.value.batch_id or "")
    assert (refused.status, refused.error_code) == ("failed", "BATCH_SCHEMA_MISMATCH")
    assert spark.read.format("delta").load(path).columns == [
        "id",
        "name",
        "age",
        "signup",
        "vip",
        "tags",
        "_batch_id",
        "_ingested_at",
        "_source_file",
    ]


def test_add_columns_adds_the_new_field(spark, mini, tmp_path):
    config = Path(mini.path)
    config.write_text(
        config.read_text().replace(
            "people:       {schema: people, mapping: people, format: json}",
            "people:       {schema: people, mapping: people, format: json, schema_evolution: add_columns}",
        )
    )
    first = load_config(config, lake_root=mini.lake_root)
    Lakeport(spark, first).ingest("people", [write_jsonl(tmp_path / "a.jsonl", ROWS[:1])]).to_json()
    _grow_schema(first)
    mapping = config.parent / "mappings" / "people.yaml"
    mapping.write_text(mapping.read_text() + "  - {target: nickname, source: nick}\n")
    grown = load_config(config, lake_root=mini.lake_root)
    Lakeport(spark, grown).ingest(
        "people", [write_jsonl(tmp_path / "b.jsonl", [{"id": "n1", "nick": "Nico"}])]
    ).to_json()
    rows = spark.read.format("delta").load(Lake(mini.lake_root).dataset_path("people"))
    assert sorted((r["id"], r["nickname"]) for r in rows.select("id", "nickname").collect()) == [
        ("n1", "Nico"),
        ("p1", None),
    ]
