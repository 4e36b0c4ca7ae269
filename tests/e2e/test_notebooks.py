"""The notebooks, executed top to bottom with a real Jupyter kernel against a temporary lake.

The four notebooks run one after another in ONE kernel (one JVM instead of four): each starts
from an empty namespace (``%reset -f``) and adopts the running SparkSession, so each still runs
on its own; their lake, sample-data and export directories come from the environment.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys

import pytest

from tests.conftest import CONFIG, REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTEBOOKS = REPO / "notebooks"
ORDER = (
    "01_quickstart.ipynb",
    "02_partial_ingestion.ipynb",
    "03_identities_and_merge_policies.ipynb",
    "04_exports.ipynb",
)


def test_the_notebooks_are_the_four_and_stored_without_outputs():
    import nbformat

    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == list(ORDER)
    for name in ORDER:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, name
        assert all(c.outputs == [] and c.execution_count is None for c in code), name
        # thin callers: they import the Lakeport facade (and the exceptions), define nothing
        source = "\n".join(c.source for c in code)
        assert "from lakeport import Lakeport" in source, name
        imported = set(re.findall(r"^(?:from|import) (lakeport[\w.]*)", source, flags=re.M))
        assert imported <= {"lakeport", "lakeport.errors"}, (name, imported)
        assert "def " not in source and "class " not in source, name


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def _outputs(nb) -> list[str]:
    return [_text(c) for c in nb.cells if c.cell_type == "code"]


def test_execute_every_notebook_in_one_kernel(tmp_path):
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    env = {
        **os.environ,
        "LAKEPORT_CONFIG": str(CONFIG),
        "LAKEPORT_LAKE": str(tmp_path / "lake"),
        "LAKEPORT_SAMPLE_DATA": str(tmp_path / "sample-data"),
        "LAKEPORT_EXPORTS": str(tmp_path / "exports"),
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO), str(REPO / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    env.pop("PYSPARK_GATEWAY_PORT", None)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(NOTEBOOKS))
    executed = {}
    try:
        for name in ORDER:
            reset = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%reset -f")])
            NotebookClient(reset, km=km, timeout=60).execute()
            nb = nbformat.read(NOTEBOOKS / name, as_version=4)
            client = NotebookClient(
                nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}
            )
            executed[name] = _outputs(client.execute())  # raises CellExecutionError on failure
    finally:
        km.shutdown_kernel(now=True)
        # what the cells printed, to read when an assertion below fails
        (tmp_path / "outputs.json").write_text(json.dumps(executed, indent=1))

    quickstart = executed["01_quickstart.ipynb"]
    assert quickstart[0] == f"lake: {tmp_path / 'lake'}\n"
    assert quickstart[2].splitlines() == [
        "loyalty    success  in=1000 landed=1000 failed=0",
        "crm        success  in=1000 landed=1000 failed=0",
        "products   success  in=100 landed=100 failed=0",
        "purchases  success  in=1000 landed=988 failed=12",
    ]
    assert "luma-purchases" in quickstart[3]  # the datasets table
    crm = json.loads((tmp_path / "sample-data" / "crm.json").read_text())
    email = next(r["email"] for r in crm if r["customerId"] == "C0000042").strip().lower()
    assert quickstart[-1].splitlines()[0] == (
        f"identities: crmId:C0000042, email:{email}, loyaltyId:L0000042"
    )

    partial = executed["02_partial_ingestion.ipynb"]
    first, *summary = partial[1].splitlines()
    assert first == "success: in=1000 landed=988 failed=12"
    assert ast.literal_eval("\n".join(summary)) == {
        "BELOW_MINIMUM": 1,
        "CONVERSION_INVALID_DATETIME": 5,
        "PARSE_MALFORMED_JSON": 3,
        "REQUIRED_MISSING": 3,
    }
    strict = partial[4].splitlines()
    assert strict[0].startswith(
        "[BATCH_ROW_ERRORS] batch strict-purchases failed: 12 of 1000 records failed"
    )
    assert strict[1:] == ["failed 0 BATCH_ROW_ERRORS"]

    identities = executed["03_identities_and_merge_policies.ipynb"]
    assert identities[1] == "'unchanged'"  # notebook 01 built the graph; nothing new since
    # the most recent fragment wins: CRM (ingested after loyalty) says Danny in Portland;
    # with loyalty before CRM, Daniel in New York City
    assert [line.split() for line in identities[3].splitlines()] == [
        ["timestamp_ordered", "firstName=Danny", "city=Portland", "(firstName", "from", "crm)"],
        [
            "loyalty_first",
            "firstName=Daniel",
            "city=New",
            "York",
            "City",
            "(firstName",
            "from",
            "loyalty)",
        ],
    ]

    exports = executed["04_exports.ipynb"]
    full = ast.literal_eval(exports[2])
    assert (full["status"], full["mode"], full["rowCount"]) == ("exported", "full", 1000)
    assert exports[3].splitlines()[-1] == "files read back: 1000 rows"
    assert ast.literal_eval(exports[4]) == {
        "status": "exported",
        "mode": "incremental",
        "rowCount": 0,
        "removedCount": 0,
    }
    assert ast.literal_eval(exports[5]) == {
        "status": "exported",
        "rowCount": 1000,
        "fileCount": 1,
        "format": "csv",
        "compression": "gzip",
    }
    assert (
        tmp_path / "exports" / "timestamp_ordered" / "exportTime=202611230100" / "_SUCCESS"
    ).exists()
