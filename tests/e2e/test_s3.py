"""A source and the lake both on S3: a moto server on 127.0.0.1, files uploaded with boto3, the
CLI through Spark's s3a connector with credentials and endpoint from environment variables."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.test_sources_cli import lines, make_project, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BUCKET = "lakeport-e2e"


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server in its own process on a free loopback port; stopped whatever happens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None, "moto server exited"
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _parquet_rows(s3, prefix: str, columns: list[str]) -> list[tuple]:
    import pyarrow.parquet as pq

    out = []
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    for obj in listing.get("Contents", []):
        if obj["Key"].endswith(".parquet"):
            body = s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            table = pq.read_table(io.BytesIO(body), columns=columns)
            out.extend(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    return sorted(out)


def test_source_and_lake_on_s3(tmp_path, moto_endpoint):
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
    s3.put_object(Bucket=BUCKET, Key="landing/people/skip.csv", Body=b"id\nx\n")
    config, _ = make_project(tmp_path, landing=f"s3a://{BUCKET}/landing/people")
    lake = f"s3a://{BUCKET}/lake"

    proc = run(config, lake, "run", "landing", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    [batch] = out["batches"]
    assert batch["status"] == "success"
    assert batch["files"] == [
        f"s3a://{BUCKET}/landing/people/a.jsonl",
        f"s3a://{BUCKET}/landing/people/b.jsonl",
    ]
    assert batch["metrics"]["inputRecordCount"] == 3
    assert batch["metrics"]["outputRecordCount"] == 3

    # read back what landed in the bucket without Spark: one commit, so every data file is live
    assert _parquet_rows(s3, "lake/datasets/people/", ["id", "_batch_id", "_source_file"]) == [
        ("a1", batch["batch_id"], f"s3a://{BUCKET}/landing/people/a.jsonl"),
        ("a2", batch["batch_id"], f"s3a://{BUCKET}/landing/people/a.jsonl"),
        ("b1", batch["batch_id"], f"s3a://{BUCKET}/landing/people/b.jsonl"),
    ]
    assert _parquet_rows(s3, "lake/system/source_files/", ["path", "status"]) == [
        (f"s3a://{BUCKET}/landing/people/a.jsonl", "claimed"),
        (f"s3a://{BUCKET}/landing/people/a.jsonl", "done"),
        (f"s3a://{BUCKET}/landing/people/b.jsonl", "claimed"),
        (f"s3a://{BUCKET}/landing/people/b.jsonl", "done"),
    ]
    logs = s3.list_objects_v2(Bucket=BUCKET, Prefix="lake/datasets/people/_delta_log/")
    assert [
        o["Key"].rsplit("/", 1)[-1] for o in logs["Contents"] if o["Key"].endswith(".json")
    ] == ["00000000000000000000.json"]
