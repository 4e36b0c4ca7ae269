"""Build dist/lakeport.zip (the package for ``spark-submit --py-files``), and with --wheel the wheel.

The zip holds ``lakeport/...`` at its root, so the driver and every executor can import the
package; the thin scripts in ``jobs/`` are what spark-submit runs.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "lakeport"


def build_zip(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zf.write(path, path.relative_to(PACKAGE.parent).as_posix())
    return out


def main() -> None:
    zipped = build_zip(ROOT / "dist" / "lakeport.zip")
    print(zipped.relative_to(ROOT))
    if "--wheel" not in sys.argv[1:]:
        return
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(ROOT / "dist"), str(ROOT)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for wheel in sorted((ROOT / "dist").glob("lakeport-*.whl")):
        print(wheel.relative_to(ROOT))


if __name__ == "__main__":
    main()
