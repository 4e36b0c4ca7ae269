"""Fetch the runtime jars lakeport adds to pyspark's own, with Maven, into build/jars/<group>.

Spark's embedded Ivy ignores Maven's settings.xml (mirrors, proxies, credentials), so set-up lets
Maven resolve `jars/<group>/pom.xml` and hands Spark local paths (`spark.jars`). Jars whose
artifactId pyspark already ships are dropped: Spark's copies load first anyway, and duplicates
only invite version clashes. Idempotent: a group is fetched again only when its pom changed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VERSION_SUFFIX = re.compile(r"-\d[\w.\-]*\.jar$")


def _artifact(jar_name: str) -> str:
    return _VERSION_SUFFIX.sub("", jar_name)


def _pyspark_artifacts() -> set[str]:
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    return {_artifact(p.name) for p in jars.glob("*.jar")}


def fetch(group: str) -> None:
    pom = ROOT / "jars" / group / "pom.xml"
    out = ROOT / "build" / "jars" / group
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:16]
    stamp = out / f".fetched-{digest}"
    if stamp.exists():
        return
    if shutil.which("mvn") is None:
        sys.exit(
            "lakeport set-up: Maven ('mvn') is not on PATH; it fetches the Delta jars from Maven "
            "Central. Install it (Debian: apt-get install maven) and run the command again."
        )
    tmp = out.with_name(group + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"lakeport set-up: fetching {group} jars with Maven ({pom.relative_to(ROOT)})",
        file=sys.stderr,
    )
    cmd = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
    ]
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        sys.exit(
            f"lakeport set-up: Maven could not fetch the jars of {pom.relative_to(ROOT)} "
            "(see its output above). Check that Maven reaches Maven Central (settings.xml mirrors "
            "and proxies), then run the command again."
        )
    shipped = _pyspark_artifacts()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    kept = []
    for jar in sorted(tmp.glob("*.jar")):
        if _artifact(jar.name) not in shipped:
            shutil.move(str(jar), out / jar.name)
            kept.append(jar.name)
    shutil.rmtree(tmp, ignore_errors=True)
    stamp.write_text("\n".join(kept) + "\n")
    print(f"lakeport set-up: {len(kept)} {group} jars in {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    for name in sys.argv[1:] or ["delta", "s3"]:
        fetch(name)
