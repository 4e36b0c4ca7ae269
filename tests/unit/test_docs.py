"""The examples in the package's docstrings run (doctest), without Spark or the network.

Examples that need a SparkSession, a lake or files carry ``# doctest: +SKIP``; every other one is
executed here, so an example that no longer matches the code fails the suite.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

import pytest

import lakeport
from tests.conftest import REPO

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(lakeport.__path__, "lakeport.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    import pyspark.sql

    def no_spark(*_args, **_kwargs):
        raise AssertionError(f"a docstring example of {name} starts Spark; mark it +SKIP")

    monkeypatch.setattr(pyspark.sql.SparkSession.Builder, "getOrCreate", no_spark)
    monkeypatch.chdir(REPO)  # examples name conf/lakeport.yaml and schemas/ relative to the repo
    monkeypatch.setenv("LAKEPORT_LAKE", os.environ.get("LAKEPORT_LAKE", "./lake"))
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
    result = doctest.testmod(module, optionflags=flags, report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"
