"""A lake root that is ``/`` or a directory of other files is refused before anything is written.

Issue 16, item 17. The check lives in the lake layer (:func:`lakeport.lake.layout.open_lake`) and
the facade calls it; ``LAKEPORT_LAKE_FORCE=1`` (or ``force=True``) uses such a root anyway. No
Spark here: the facade gets a stand-in session that only answers ``conf.get``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakeport.api import Lakeport
from lakeport.config import load_config
from lakeport.errors import ErrorCode, UsageError
from lakeport.lake.layout import FORCE_ENV, Lake, open_lake
from lakeport.lake.txn import SUPPORTED_DELTA
from tests.conftest import CONFIG


@pytest.fixture(autouse=True)
def _no_force(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORCE_ENV, raising=False)
    monkeypatch.delenv("LAKEPORT_LAKE", raising=False)


def _full(tmp_path: Path) -> Path:
    """A directory like /etc: files and directories, no datasets/ or system/."""
    root = tmp_path / "etc"
    (root / "ssh").mkdir(parents=True)
    (root / "passwd").write_text("root:x:0:0\n")
    (root / "hosts").write_text("127.0.0.1 localhost\n")
    return root


def _refusal(root: str, **kwargs: Any) -> str:
    with pytest.raises(UsageError) as info:
        open_lake(root, **kwargs)
    assert info.value.code is ErrorCode.LAKE_ROOT_REFUSED and info.value.exit_code == 2
    return info.value.message


def test_the_filesystem_root_is_refused() -> None:
    for root in ("/", "//", "/tmp/..", "file:///", "file:/"):
        assert _refusal(root) == (
            f"lake root {root!r} is the filesystem root; point lake.root, --lake or "
            "$LAKEPORT_LAKE at a directory of its own (or set LAKEPORT_LAKE_FORCE=1 to use it "
            "anyway)"
        )


def test_a_directory_of_other_files_is_refused(tmp_path: Path) -> None:
    root = _full(tmp_path)
    expected = (
        f"lake root {str(root)!r} holds other files (hosts, passwd, ssh) and no lake (no datasets/ "
        "or system/ inside); point lake.root, --lake or $LAKEPORT_LAKE at an empty or new "
        "directory (or set LAKEPORT_LAKE_FORCE=1 to write there anyway)"
    )
    assert _refusal(str(root)) == expected
    assert _refusal(f"file://{root}") == expected.replace(repr(str(root)), repr(f"file://{root}"))
    (root / "more").mkdir()
    assert "(hosts, more, passwd, ...)" in _refusal(str(root))


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lake").write_text("not a directory")
    assert _refusal(str(tmp_path / "lake")) == (
        f"lake root {str(tmp_path / 'lake')!r} is a file, not a directory; point lake.root, "
        "--lake or $LAKEPORT_LAKE at a directory"
    )


def test_new_empty_and_existing_lakes_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert open_lake(str(tmp_path / "missing" / "lake")) == Lake(str(tmp_path / "missing" / "lake"))
    (tmp_path / "empty").mkdir()
    assert open_lake(str(tmp_path / "empty")).root == str(tmp_path / "empty")
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / ".gitkeep").write_text("")
    open_lake(str(tmp_path / "hidden"))
    for inside in ("datasets", "system"):
        lake = _full(tmp_path / inside)
        (lake / inside).mkdir()
        open_lake(str(lake))
    monkeypatch.chdir(tmp_path)
    open_lake("./lake")  # missing, relative
    open_lake("s3a://bucket/")  # object stores are not looked into
    open_lake("hdfs://nn/")


def test_force_uses_any_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _full(tmp_path)
    assert open_lake(str(root), force=True).root == str(root)
    assert open_lake("/", force=True).root == "/"
    for value in ("1", "true", "YES"):
        monkeypatch.setenv(FORCE_ENV, value)
        open_lake(str(root))
    monkeypatch.setenv(FORCE_ENV, "0")
    _refusal(str(root))


class _Conf:
    def get(self, key: str, default: Any = None) -> Any:
        return {
            "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
            "spark.sql.session.timeZone": "UTC",
        }.get(key, default)


class _Version:
    @staticmethod
    def VERSION() -> str:
        return SUPPORTED_DELTA


class _Session:
    """What the facade's constructor reads of a session: its conf and its Delta version."""

    conf = _Conf()
    sparkContext = SimpleNamespace(_gateway=object())
    _jvm = SimpleNamespace(io=SimpleNamespace(delta=SimpleNamespace(package=_Version)))


def test_the_facade_refuses_before_anything_is_written(tmp_path: Path) -> None:
    root = _full(tmp_path)
    cfg = load_config(CONFIG, lake_root=str(root))
    with pytest.raises(UsageError) as info:
        Lakeport(_Session(), cfg)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.LAKE_ROOT_REFUSED
    assert sorted(p.name for p in root.iterdir()) == ["hosts", "passwd", "ssh"]
    assert Lakeport(_Session(), cfg, force=True).lake == Lake(str(root))  # type: ignore[arg-type]
    assert Lakeport(_Session(), cfg.with_lake(str(tmp_path / "lake"))).lake.root == str(
        tmp_path / "lake"
    )


def test_open_refuses_before_spark_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lakeport.api

    def no_spark(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("Spark started for a refused lake root")

    monkeypatch.setattr(lakeport.api, "get_spark", no_spark)
    with pytest.raises(UsageError) as info:
        Lakeport.open(CONFIG, lake="/")
    assert info.value.code is ErrorCode.LAKE_ROOT_REFUSED
