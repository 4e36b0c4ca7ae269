"""The jars lakeport adds to pyspark's own: Delta (and hadoop-aws for ``s3a://``), fetched once.

The versions come from what is installed, so they are written in one place (``pyproject.toml``
pins ``delta-spark``): the Delta jars carry the ``delta-spark`` package's version, built for the
installed pyspark's ``major.minor``; ``hadoop-aws`` carries the version of the Hadoop client that
pyspark bundles. ``lakeport setup`` fetches them into a user cache directory
(``$LAKEPORT_JARS_DIR``, else ``platformdirs.user_cache_dir("lakeport")/jars/<versions>``):
with Maven when ``mvn`` is on PATH (it honours the machine's ``settings.xml`` mirrors and
proxies), else with Spark's own package resolution (Ivy). Jars whose artifactId pyspark already
ships are dropped. The session then puts the local paths on ``spark.jars``, so nothing is
downloaded at run time.

Example:
    >>> delta_package()
    'io.delta:delta-spark_4.2_2.13:4.4.0'
    >>> fetch(["delta"])            # idempotent; prints where the jars are  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from lakeport.errors import SetupError

GROUPS = ("delta", "s3")
_VERSION_SUFFIX = re.compile(r"-\d[\w.\-]*\.jar$")
_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.lakeport</groupId>
  <artifactId>lakeport-{group}-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>{group_id}</groupId>
      <artifactId>{artifact_id}</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def _pyspark_dir() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def delta_version() -> str:
    """The installed ``delta-spark`` package's version (the jars must carry the same one)."""
    try:
        return metadata.version("delta-spark")
    except metadata.PackageNotFoundError as exc:
        raise SetupError("the delta-spark package is not installed; pip install lakeport") from exc


def spark_minor() -> str:
    """``4.2`` for pyspark 4.2.0."""
    import pyspark

    return ".".join(pyspark.__version__.split(".")[:2])


@functools.lru_cache(maxsize=1)
def hadoop_version() -> str:
    """The Hadoop client version pyspark bundles (hadoop-aws must be the same)."""
    for jar in (_pyspark_dir() / "jars").glob("hadoop-client-api-*.jar"):
        return jar.name[len("hadoop-client-api-") : -len(".jar")]
    raise SetupError(f"no hadoop-client-api jar in {_pyspark_dir() / 'jars'}; reinstall pyspark")


def delta_package() -> str:
    return f"io.delta:delta-spark_{spark_minor()}_2.13:{delta_version()}"


def hadoop_aws_package() -> str:
    return f"org.apache.hadoop:hadoop-aws:{hadoop_version()}"


def packages(groups: tuple[str, ...] | list[str]) -> list[str]:
    """The Maven coordinates of the groups (``spark.jars.packages`` on a cluster)."""
    table = {"delta": delta_package, "s3": hadoop_aws_package}
    return [table[g]() for g in groups]


def jars_root() -> Path:
    """Where the jars of these versions live (``$LAKEPORT_JARS_DIR`` wins)."""
    explicit = os.environ.get("LAKEPORT_JARS_DIR")
    if explicit:
        return Path(explicit)
    import platformdirs

    tag = f"delta-{delta_version()}-spark-{spark_minor()}-hadoop-{hadoop_version()}"
    return Path(platformdirs.user_cache_dir("lakeport")) / "jars" / tag


def local_jars(groups: tuple[str, ...] | list[str] = ("delta",)) -> list[str]:
    """Absolute paths of the fetched jars of ``groups`` (empty when a group was never fetched)."""
    out: list[str] = []
    for group in groups:
        folder = jars_root() / group
        if not any(folder.glob(".fetched-*")):
            return []
        out.extend(str(p) for p in sorted(folder.glob("*.jar")))
    return out


def _artifact(jar_name: str) -> str:
    return _VERSION_SUFFIX.sub("", jar_name)


def _keep_new(found: list[Path], out: Path, stamp: Path) -> list[str]:
    shipped = {_artifact(p.name) for p in (_pyspark_dir() / "jars").glob("*.jar")}
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    kept = []
    for jar in sorted(found):
        if _artifact(jar.name) not in shipped:
            shutil.copy2(jar, out / jar.name)
            kept.append(jar.name)
    stamp.write_text("\n".join(kept) + "\n")
    return kept


def _with_maven(coordinate: str, group: str, tmp: Path) -> list[Path]:
    group_id, artifact_id, version = coordinate.split(":")
    pom = tmp / "pom.xml"
    pom.write_text(
        _POM.format(group=group, group_id=group_id, artifact_id=artifact_id, version=version)
    )
    cmd = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp / 'jars'}",
    ]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise SetupError(
            f"Maven could not fetch {coordinate} (see its output above); check that Maven "
            "reaches Maven Central (settings.xml mirrors and proxies), then run lakeport setup again"
        )
    return list((tmp / "jars").glob("*.jar"))


_IVY_SCRIPT = """
import sys
from pyspark.sql import SparkSession
s = (SparkSession.builder.master("local[1]").config("spark.jars.packages", sys.argv[1])
     .config("spark.jars.ivy", sys.argv[2]).config("spark.ui.enabled", "false").getOrCreate())
s.stop()
"""


def _with_ivy(coordinate: str, tmp: Path) -> list[Path]:
    ivy = tmp / "ivy"
    proc = subprocess.run([sys.executable, "-c", _IVY_SCRIPT, coordinate, str(ivy)], check=False)
    found = list((ivy / "jars").glob("*.jar"))
    if proc.returncode != 0 or not found:
        raise SetupError(
            f"Spark's package resolution could not fetch {coordinate} (see its output above); "
            "install Maven (it honours settings.xml mirrors and proxies), or check the network"
        )
    return found


def fetch(groups: list[str] | tuple[str, ...] = ("delta",), *, quiet: bool = False) -> Path:
    """Fetch the jars of ``groups`` once into :func:`jars_root`; returns that directory.

    Raises:
        SetupError: neither Maven nor Spark's resolver could fetch them.
    """
    root = jars_root()
    for group, coordinate in zip(groups, packages(groups), strict=True):
        out = root / group
        stamp = out / f".fetched-{hashlib.sha256(coordinate.encode()).hexdigest()[:16]}"
        if stamp.exists():
            continue
        how = "Maven" if shutil.which("mvn") else "Spark's package resolution"
        if not quiet:
            print(f"lakeport setup: fetching {coordinate} with {how}", file=sys.stderr)
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            found = (
                _with_maven(coordinate, group, Path(tmp))
                if shutil.which("mvn")
                else _with_ivy(coordinate, Path(tmp))
            )
            kept = _keep_new(found, out, stamp)
        if not quiet:
            print(f"lakeport setup: {len(kept)} {group} jars in {out}", file=sys.stderr)
    return root
