"""Shared fixtures: one Delta-enabled SparkSession per test run, temporary lakes, the repo's config."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "conf" / "lakeport.yaml"

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
# TZ is left as the machine has it: lakeport must store UTC whatever the zone (one test runs an
# ingest under TZ=America/New_York in a subprocess)


def assert_frames_equal(actual, expected) -> None:
    """Full DataFrame equality with chispa: schema (names, types) and every row, duplicates too.

    Rows are put in one order first (by their JSON text, which also orders map columns, which
    chispa 0.12's ``ignore_row_order`` cannot hash); nullability is not compared, since Delta
    reads every column back as nullable.
    """
    from chispa import assert_df_equality
    from pyspark.sql import functions as F

    def ordered(df):
        return df.orderBy(F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns])))

    assert_df_equality(actual, expected, transforms=[ordered], ignore_nullable=True)


@pytest.fixture(scope="session")
def spark():
    """The session for every Spark test: local[2], 2 shuffle partitions, UI off, UTC."""
    from lakeport.session import get_spark

    session = get_spark(
        extra_conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "2g",
            "spark.sql.warehouse.dir": str(
                Path(os.environ.get("TMPDIR", "/tmp")) / "lakeport-test-warehouse"
            ),
        }
    )
    yield session
    session.stop()


@pytest.fixture
def lake_root(tmp_path: Path) -> str:
    """A fresh, empty lake root for one test."""
    root = tmp_path / "lake"
    return str(root)


@pytest.fixture
def cfg(lake_root: str):
    """The repo's configuration pointed at a temporary lake."""
    from lakeport.config import load_config

    return load_config(CONFIG, lake_root=lake_root)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Luma sample feeds at scale 1 (generated once per run)."""
    from lakeport import sample

    out = tmp_path_factory.mktemp("sample")
    sample.generate(out)
    return out


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of conf/ and schemas/ that a test may edit."""
    dest = tmp_path / "project"
    shutil.copytree(REPO / "conf", dest / "conf")
    shutil.copytree(REPO / "schemas", dest / "schemas")
    yield dest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that starts a JVM carries the ``spark`` marker: the ones that use the session
    fixture, and the end-to-end ones (their subprocesses start JVMs of their own)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()) or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.spark)
