"""Inbound (aam) file names and the ``format: aam`` configuration, without Spark."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeport.config import load_config
from lakeport.errors import BatchError, ConfigError
from lakeport.lake.fs import FileInfo
from lakeport.readers.aam import check_names
from lakeport.spec.traits import InboundName, parse_name, traits_schema

SYNTAX = (
    "Expected ftp_dpm_<DPID>[_<targetDPID>]_<10-digit UTC epoch seconds>(.sync|.overwrite)[.N][.gz], "
    "for example ftp_dpm_21_1700000000.sync or ftp_dpm_20914_21_1700000000.overwrite.2.gz; "
    "rename the file."
)


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("ftp_dpm_21_1700000000.sync", (21, None, 1700000000, "sync", None, False)),
        ("ftp_dpm_21_1700000000.overwrite", (21, None, 1700000000, "overwrite", None, False)),
        ("ftp_dpm_20914_21_1700000000.sync", (20914, 21, 1700000000, "sync", None, False)),
        ("ftp_dpm_21_1700000000.sync.gz", (21, None, 1700000000, "sync", None, True)),
        ("ftp_dpm_21_1700000000.sync.3", (21, None, 1700000000, "sync", 3, False)),
        (
            "ftp_dpm_20915_77_9999999999.overwrite.12.gz",
            (20915, 77, 9999999999, "overwrite", 12, True),
        ),
        # a DPID that itself has 10 digits is still a DPID, not the timestamp
        ("ftp_dpm_1700000000_1700000001.sync", (1700000000, None, 1700000001, "sync", None, False)),
    ],
)
def test_good_names_parse(name: str, parsed: tuple) -> None:
    assert parse_name(name) == InboundName(name, *parsed)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ftp_21_1700000000.sync", "it does not start with 'ftp_dpm_'"),
        ("FTP_DPM_21_1700000000.sync", "it does not start with 'ftp_dpm_'"),
        (
            "ftp_dpm_21_1700000000.txt",
            "it does not end in .sync or .overwrite (then optionally .N and .gz)",
        ),
        (
            "ftp_dpm_21_1700000000.sync.gz.1",
            "only a split number (.N) and .gz may follow .sync or .overwrite",
        ),
        (
            "ftp_dpm_21_1700000000.sync.csv",
            "only a split number (.N) and .gz may follow .sync or .overwrite",
        ),
        (
            "ftp_dpm_1700000000.sync",
            "between 'ftp_dpm_' and the extension there must be <DPID>[_<targetDPID>]_<timestamp>, "
            "numbers separated by '_'",
        ),
        (
            "ftp_dpm_abc_1700000000.sync",
            "between 'ftp_dpm_' and the extension there must be <DPID>[_<targetDPID>]_<timestamp>, "
            "numbers separated by '_'",
        ),
        (
            "ftp_dpm_1_2_3_1700000000.sync",
            "between 'ftp_dpm_' and the extension there must be <DPID>[_<targetDPID>]_<timestamp>, "
            "numbers separated by '_'",
        ),
        (
            "ftp_dpm_21_1700000000000.sync",
            "the timestamp 1700000000000 has 13 digits; it must be 10-digit UTC epoch seconds "
            "(13 digits look like milliseconds)",
        ),
        (
            "ftp_dpm_21_170000000.overwrite",
            "the timestamp 170000000 has 9 digits; it must be 10-digit UTC epoch seconds",
        ),
        ("ftp_dpm_1234567890123456789_1700000000.sync", "a DPID has more than 18 digits"),
        ("ftp_dpm_21_1700000000.sync.1234567890", "the split number has more than 9 digits"),
    ],
)
def test_bad_names_say_why(name: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_name(name)
    assert str(info.value) == reason


def test_check_names_orders_by_epoch_then_split_and_names_the_bad_file() -> None:
    files = [
        FileInfo(f"file:/in/{n}", 10, 0)
        for n in (
            "ftp_dpm_21_1700000100.sync.2.gz",
            "ftp_dpm_21_1700000100.sync",
            "ftp_dpm_21_1700000000.overwrite",
            "ftp_dpm_21_1700000100.sync.1",
        )
    ]
    assert [n.name for n in check_names(files)] == [
        "ftp_dpm_21_1700000000.overwrite",
        "ftp_dpm_21_1700000100.sync",
        "ftp_dpm_21_1700000100.sync.1",
        "ftp_dpm_21_1700000100.sync.2.gz",
    ]
    with pytest.raises(BatchError) as info:
        check_names([*files, FileInfo("file:/in/traits.tsv", 10, 0)], batch_id="b1")
    assert (info.value.code, info.value.batch_id) == ("BATCH_AAM_BAD_FILE_NAME", "b1")
    assert info.value.message == (
        "file:/in/traits.tsv: 'traits.tsv' is not an audience-partner inbound file name: "
        f"it does not start with 'ftp_dpm_'. {SYNTAX}"
    )


def test_traits_schema_is_the_documented_shape() -> None:
    schema = traits_schema()
    assert schema.class_ == "other"
    assert {name: spec.type for name, spec in schema.fields.items()} == {
        "user_id": "string",
        "data_source_id": "long",
        "target_dpid": "long",
        "trait_type": "string",
        "trait_key": "string",
        "trait_value": "string",
        "file_at": "datetime",
    }


def _config(tmp_path: Path, dataset: str) -> Path:
    (tmp_path / "conf").mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "traits.yaml").write_text(
        "class: other\nfields:\n  a: {type: string}\n"
    )
    path = tmp_path / "conf" / "lakeport.yaml"
    path.write_text(f"datasets:\n  traits:\n{dataset}")
    return path


def test_aam_dataset_needs_no_schema_or_mapping(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, "    format: aam\n"))
    ds = cfg.dataset("traits")
    assert ds.schema_spec == traits_schema()
    assert ds.mapping_file is None


def test_aam_dataset_rejects_schema_mapping_evolution_and_options(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "    format: aam\n    schema: traits\n    mapping: traits\n"
        "    schema_evolution: add_columns\n",
    )
    fixed = (
        "format aam has a fixed shape (user_id, data_source_id, target_dpid, trait_type, "
        "trait_key, trait_value, file_at)"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}: datasets.traits.schema: {fixed}; remove 'schema'",
        f"{path}: datasets.traits.mapping: {fixed}; remove 'mapping'",
        f"{path}: datasets.traits.schema_evolution: {fixed}; remove 'schema_evolution'",
    ]
    path.write_text("datasets:\n  traits:\n    format: aam\n    options: {delimiter: ';'}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}: datasets.traits.options.delimiter: does not apply to format aam; "
        "remove it (aam takes no options)",
    ]
