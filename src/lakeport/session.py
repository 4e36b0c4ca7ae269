"""The one place a SparkSession is built.

Locally (a laptop, the tests, the demo) :func:`get_spark` starts ``local[2]`` with the Delta
extensions and catalog, UTC, few shuffle partitions and the UI off, and puts the jars that
``lakeport setup`` fetched (:mod:`lakeport.jars`; the S3 ones too when a path is ``s3a://``) on
``spark.jars``, so nothing is downloaded at run time; without them it falls back to
``spark.jars.packages`` for the installed versions. Under ``spark-submit`` (or in a notebook that
already has a session) it adopts the running JVM: it never sets a master, and jars come from the
submitter (``--packages io.delta:delta-spark_4.2_2.13:4.4.0`` or the platform's own).

Static settings (extensions, catalog, time zone) are applied *before* ``getOrCreate()``. An
adopted session gets the UTC session time zone at run time, and is refused clearly when it has
no Delta extensions (they cannot be added to a running session).

Example:
    >>> from lakeport.config import load_config
    >>> spark = get_spark(load_config())  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeport import jars
from lakeport.errors import SetupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config

log = logging.getLogger(__name__)

BASE_CONF: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    # Delta: schema changes are explicit (schema_evolution: add_columns), never automatic
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
    # HotSpot never JIT-compiles a method over 8,000 bytes of bytecode, while Spark keeps one
    # whole-stage method up to 65,535: a mapping of a dozen fields then runs interpreted. At 8,000
    # Spark splits such a stage instead (measured: a 1M-line ingest pass 2x faster).
    "spark.sql.codegen.hugeMethodLimit": "8000",
}
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Delta reads its log with 50 partitions by default: pure overhead on one machine
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.adaptive.enabled": "true",
}
LOG4J_CONF = Path(__file__).resolve().parent / "resources" / "log4j2.properties"
_DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"


def uses_s3(config: Config | None) -> bool:
    """True when the lake root or a source's location is an ``s3a://`` URI."""
    if config is None:
        return False
    paths = [config.lake_root, *(src.location for src in getattr(config, "sources", {}).values())]
    return any(p.startswith("s3a://") for p in paths)


def s3_env_conf() -> dict[str, str]:
    """S3A settings from the environment, for S3-compatible stores (MinIO, moto, Ceph).

    ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (e.g. ``http://127.0.0.1:9000``) becomes
    ``fs.s3a.endpoint`` with path-style access (``LAKEPORT_S3_PATH_STYLE=false`` turns that off);
    ``AWS_REGION``/``AWS_DEFAULT_REGION`` the endpoint region. Credentials need nothing here: S3A
    reads ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` itself. Keys set in ``spark.conf`` win.
    """
    out: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if endpoint:
        out["spark.hadoop.fs.s3a.endpoint"] = endpoint
        out["spark.hadoop.fs.s3a.path.style.access"] = (
            "false" if os.environ.get("LAKEPORT_S3_PATH_STYLE", "").lower() == "false" else "true"
        )
        out["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(
            endpoint.startswith("https://")
        ).lower()
        region = region or "us-east-1"
    if region:
        out["spark.hadoop.fs.s3a.endpoint.region"] = region
    return out


def check_java() -> None:
    """Java 17+ is there (Spark 4 needs it), or a SetupError saying what to install."""
    java = (
        Path(os.environ["JAVA_HOME"], "bin", "java")
        if os.environ.get("JAVA_HOME")
        else shutil.which("java")
    )
    if not java:
        raise SetupError("Java not found. Spark 4 needs Java 17+: install it or set JAVA_HOME.")
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, check=False
        ).stderr
    except OSError as exc:
        raise SetupError(f"cannot run {java}: {exc}; install Java 17+ or fix JAVA_HOME") from exc
    import re

    match = re.search(r'version "(\d+)', out)
    if match and int(match.group(1)) < 17:
        raise SetupError(f"Java {match.group(1)} found at {java}; Spark 4 needs Java 17 or newer.")


def _adopting() -> bool:
    """True when a JVM gateway already exists (spark-submit, pyspark shell, a notebook's session)."""
    from pyspark import SparkContext

    return (
        bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
        or SparkContext._active_spark_context is not None
    )


def get_spark(
    config: Config | None = None,
    *,
    extra_conf: dict[str, Any] | None = None,
    s3: bool | None = None,
) -> SparkSession:
    """Return the SparkSession for lakeport jobs (adopting a running one when there is one).

    Args:
        config: the loaded config; its ``spark.conf`` is applied, its ``spark.master`` used locally.
        extra_conf: more Spark conf (tests use this for a smaller footprint).
        s3: add the S3A jars (and :func:`s3_env_conf`); default: when the lake root or a
            source location is an ``s3a://`` URI (:func:`uses_s3`).

    Raises:
        SetupError: Java is missing, the Delta jars were never fetched, or the JVM did not start.
    """
    from pyspark.sql import SparkSession

    conf: dict[str, Any] = dict(BASE_CONF)
    if config is not None:
        conf.update(
            {
                k: str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in config.spark.conf.items()
            }
        )
    if extra_conf:
        conf.update({k: str(v) for k, v in extra_conf.items()})
    active = SparkSession.getActiveSession()
    if active is not None:
        return adopt(active)
    builder = SparkSession.builder
    if config is not None:
        builder = builder.appName(config.spark.app_name)
    if _adopting():
        # spark-submit: the submitter owns master, jars and resources; we add only what is unset.
        for key, value in conf.items():
            if key in BASE_CONF or key.startswith("spark.sql.") or key.startswith("spark.hadoop."):
                builder = builder.config(key, value)
        return adopt(builder.getOrCreate())

    check_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # the host name resolves to loopback here and on most laptops; say so instead of warning
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if LOG4J_CONF.exists():
        java_opts = f"-Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}"
        conf["spark.driver.extraJavaOptions"] = " ".join(
            filter(None, [conf.get("spark.driver.extraJavaOptions"), java_opts])
        )
    want_s3 = s3 if s3 is not None else uses_s3(config)
    groups = ["delta", "s3"] if want_s3 else ["delta"]
    local = jars.local_jars(groups)
    if want_s3:
        for key, value in s3_env_conf().items():
            conf.setdefault(key, value)
    for key, value in LOCAL_CONF.items():
        conf.setdefault(key, value)
    if local:
        conf["spark.jars"] = ",".join([*local, *filter(None, [conf.get("spark.jars")])])
    elif "spark.jars.packages" not in conf:
        # never fetched: Spark's resolver downloads them now (and at every start; run setup)
        log.warning(
            "the jars are not in %s; resolving %s at start-up (run 'lakeport setup' once to "
            "fetch them ahead)",
            jars.jars_root(),
            ",".join(jars.packages(groups)),
        )
        conf["spark.jars.packages"] = ",".join(jars.packages(groups))
    master = os.environ.get("LAKEPORT_MASTER") or (config.spark.master if config else "local[2]")
    builder = builder.master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        raise SetupError(
            f"Spark did not start ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "the JVM's own message is above on stderr"
        ) from exc
    spark.sparkContext.setLogLevel(os.environ.get("LAKEPORT_SPARK_LOG_LEVEL", "ERROR"))
    return spark


def adopt(spark: SparkSession) -> SparkSession:
    """Make a session that lakeport did not start fit for it: UTC, and Delta or a clear refusal.

    Raises:
        SetupError: the session has no Delta extensions (start it with them, or let lakeport).
    """
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    if _DELTA_EXTENSION not in extensions:
        raise SetupError(
            "the running SparkSession has no Delta Lake extensions; start it with "
            f"spark.sql.extensions={_DELTA_EXTENSION} and spark.sql.catalog.spark_catalog="
            f"{BASE_CONF['spark.sql.catalog.spark_catalog']} (and the Delta jars: "
            f"--packages {jars.delta_package()}), or stop it and let lakeport start one"
        )
    if spark.conf.get("spark.sql.session.timeZone") != "UTC":
        # every timestamp lakeport stores is UTC; the zone is a runtime setting
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark
