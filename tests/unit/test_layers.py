"""The house: layers import only downwards (import-linter), no module over 400 lines, error codes
named only through the ErrorCode enum, one reader per format, one compiler per function."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import typing
from pathlib import Path

from lakeport.errors import ErrorCode, LakeportError
from lakeport.expr import FUNCTIONS
from lakeport.readers import READERS
from lakeport.spec.settings import DatasetConfig
from tests.conftest import REPO

PACKAGE = REPO / "src" / "lakeport"
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists() or shutil.which("lint-imports"), "install the dev extras (import-linter)"
    proc = subprocess.run(
        [str(lint) if lint.exists() else "lint-imports", "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken." in proc.stdout, proc.stdout


def test_no_module_over_400_lines():
    long = {
        str(p.relative_to(REPO)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_jobs_holds_only_thin_entry_points():
    scripts = sorted((REPO / "jobs").iterdir())
    assert [p.name for p in scripts] == [
        "build_profiles.py",
        "export_snapshot.py",
        "ingest_batch.py",
        "run_source.py",
    ]
    for script in scripts:
        text = script.read_text()
        assert len(text.splitlines()) <= 12 and "from lakeport.cli import main" in text, script


def test_codes_are_named_only_through_the_enum():
    names = {c.value for c in ErrorCode}
    found = []
    for path in MODULES:
        if path.parent.name == "errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ErrorCode"
                and node.attr not in names
                and node.attr not in ("value", "kind")
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: ErrorCode.{node.attr}")
    assert found == []


def test_every_member_is_its_own_value_with_a_kind_meaning_and_remedy():
    for code in ErrorCode:
        assert code.value == code.name and code.kind in ("row", "batch", "export", "inlet")
        assert code.meaning and code.remedy
        assert ErrorCode[code.value] is code is ErrorCode(code.value)


def test_every_exception_class_reports_its_own_code():
    from lakeport import errors

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, LakeportError) and c is not LakeportError
    ]
    assert {c.__name__ for c in classes} >= {"ProfileBuildError", "SourceBusyError"}
    assert errors.ProfileBuildError("nothing to build").code is ErrorCode.PROFILE_BUILD_FAILED
    assert errors.ConfigError(["x"]).code is ErrorCode.CONFIG_INVALID
    assert errors.NotFoundError("x").code is ErrorCode.NOT_FOUND
    assert errors.SourceBusyError("x").exit_code == 3
    assert errors.BatchError("x", code="BATCH_FILE_EMPTY").code is ErrorCode.BATCH_FILE_EMPTY


def test_one_reader_per_format():
    formats = typing.get_args(DatasetConfig.model_fields["format"].annotation)
    assert sorted(READERS) == sorted(formats)
    assert [name for name, r in READERS.items() if r.state_table] == ["aam"]


def test_every_expression_function_is_one_entry_with_its_compiler():
    for name, fn in FUNCTIONS.items():
        assert callable(fn.compile), name
        assert set(fn.regex_args) | set(fn.pattern_args) | set(fn.zone_args) <= set(fn.literals)
