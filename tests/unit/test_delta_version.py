"""The commit protocol uses Delta's transaction API: any other Delta jar is refused at start-up."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lakeport.errors import SetupError
from lakeport.lake import txn


def _session(version: str):
    package = SimpleNamespace(VERSION=lambda: version)
    jvm = SimpleNamespace(io=SimpleNamespace(delta=SimpleNamespace(package=package)))
    return SimpleNamespace(_jvm=jvm, sparkContext=SimpleNamespace(_gateway=object()))


def test_another_delta_version_is_refused_naming_the_supported_one():
    with pytest.raises(SetupError, match=r"runs Delta Lake 4\.3\.1; .* as of Delta Lake 4\.4\.0"):
        txn.check_delta(_session("4.3.1"))


def test_the_supported_version_passes():
    txn.check_delta(_session(txn.SUPPORTED_DELTA))


def test_the_pinned_delta_spark_package_is_the_supported_version():
    from importlib import metadata

    assert metadata.version("delta-spark") == txn.SUPPORTED_DELTA
