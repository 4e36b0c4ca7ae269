"""Fixtures for Spark tests: a small project (one profile schema, five datasets) on a temp lake."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from lakeport.config import load_config

SCHEMA = """
name: people
class: profile
fields:
  id: {type: string, required: true, identity: {namespace: personId, primary: true}}
  name:
    type: object
    fields:
      first: {type: string}
  age: {type: integer, minimum: 0}
  signup: {type: datetime}
  vip: {type: boolean}
  tags: {type: array, items: {type: string}}
"""
MAPPING = """
schema: people
fields:
  - {target: id, source: id}
  - {target: name.first, source: first_name}
  - {target: age, source: age}
  - {target: signup, source: signup}
  - {target: vip, source: vip}
  - {target: tags, source: tags}
"""
CONFIG = """
lake: {root: ./lake}
datasets:
  people:       {schema: people, mapping: people, format: json}
  people_part:  {schema: people, mapping: people, format: json,
                 partial_ingestion: {enabled: true, error_threshold_percent: 40}}
  people_multi: {schema: people, mapping: people, format: json, options: {multiline: true}}
  people_csv:   {schema: people, format: csv}
  people_latin: {schema: people, format: csv, options: {encoding: ISO-8859-1, delimiter: ";"}}
  people_pq:    {schema: people, mapping: people, format: parquet}
  people_all:   {schema: people, mapping: people, format: json,
                 partial_ingestion: {enabled: true, error_threshold_percent: 100}}
"""
EXPECTED_DDL = "id string, name struct<first:string>, age int, signup timestamp, vip boolean, tags array<string>"
ROWS = [
    {
        "id": "p1",
        "first_name": "Ada",
        "age": 36,
        "signup": "2024-01-02T03:04:05Z",
        "vip": True,
        "tags": ["a", "b"],
    },
    {"id": "p2", "first_name": "Bo", "age": "41", "signup": 1704164645000, "vip": "no", "tags": []},
    {"id": "p3", "first_name": None, "signup": "2024-01-02T05:04:05+02:00"},
]
EXPECTED = [
    ("p1", ("Ada",), 36, datetime(2024, 1, 2, 3, 4, 5), True, ["a", "b"]),
    ("p2", ("Bo",), 41, datetime(2024, 1, 2, 3, 4, 5), False, []),
    ("p3", (None,), None, datetime(2024, 1, 2, 3, 4, 5), None, None),
]


@pytest.fixture
def mini(tmp_path: Path):
    (tmp_path / "conf" / "mappings").mkdir(parents=True)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "people.yaml").write_text(SCHEMA)
    (tmp_path / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    (tmp_path / "conf" / "lakeport.yaml").write_text(CONFIG)
    return load_config(tmp_path / "conf" / "lakeport.yaml", lake_root=str(tmp_path / "lake"))


def write_jsonl(path: Path, rows: list[object], compress: bool = False) -> str:
    """Write rows (dicts as JSON, strings verbatim) one per line; returns the file path."""
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    if compress:
        path = path.with_suffix(path.suffix + ".gz")
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return str(path)
