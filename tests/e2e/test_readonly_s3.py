"""The read-only commands on an ``s3a://`` lake and source (a moto server on 127.0.0.1): delta-rs
and pyarrow's S3 client, configured from the same AWS_* variables as S3A, print what Spark prints,
and start no JVM."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.test_s3 import BUCKET, moto_endpoint  # noqa: F401  (the fixture)
from tests.e2e.test_sources_cli import lines, make_project, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COMMANDS = [
    ["sources", "status", "landing", "--json"],
    ["batch", "list", "--json"],
    ["datasets", "list", "--json"],
    ["datasets", "preview", "people", "--json"],
]
# every command in one process (one JVM) on the Spark path
SPARK_RUNS = """
import contextlib, io, json, sys
from lakeport.cli import main
out = []
for args in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(args)
    out.append([code, buf.getvalue()])
print(json.dumps(out))
"""


def test_read_only_commands_on_s3_match_spark_without_a_jvm(tmp_path, moto_endpoint):  # noqa: F811
    import boto3

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="landing/people/a.jsonl", Body=lines(["a1", "a2"]).encode())
    s3.put_object(Bucket=BUCKET, Key="landing/people/b.jsonl", Body=lines(["b1"]).encode())
    config, _ = make_project(tmp_path, landing=f"s3a://{BUCKET}/landing/people")
    lake = f"s3a://{BUCKET}/lake"
    proc = run(config, lake, "run", "landing", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    s3.put_object(Bucket=BUCKET, Key="landing/people/c.jsonl", Body=lines(["c1"]).encode())
    s3.delete_object(Bucket=BUCKET, Key="landing/people/b.jsonl")

    full = [[*args, "--config", str(config), "--lake", lake] for args in COMMANDS]
    spark = subprocess.run(
        [sys.executable, "-c", SPARK_RUNS, json.dumps(full)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **env, "LAKEPORT_READONLY": "off"},
        check=False,
    )
    assert spark.returncode == 0, spark.stderr[-3000:]
    expected = json.loads(spark.stdout.splitlines()[-1])
    status = json.loads(expected[0][1])
    assert status["pendingFiles"] == 1
    assert [f["present"] for f in status["files"]] == [True, False]

    no_java = {
        **_base_env(),
        **env,
        "JAVA_HOME": str(tmp_path / "no-java"),
        "PATH": str(Path(sys.executable).parent),
    }
    assert shutil.which("java", path=no_java["PATH"]) is None
    for args, (code, stdout) in zip(full, expected, strict=True):
        proc = subprocess.run(
            [sys.executable, "-m", "lakeport", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env=no_java,
            check=False,
        )
        assert (proc.returncode, proc.stdout) == (code, stdout), (args, proc.stderr)


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK", "JAVA"))}
