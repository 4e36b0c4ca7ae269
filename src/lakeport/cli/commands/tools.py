"""``lakeport validate``, ``sample-data``, ``demo``, ``report``, ``maintain``, ``init`` and ``setup``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from lakeport.cli.context import Context
from lakeport.errors import UsageError

STARTER = Path(__file__).resolve().parent.parent.parent / "resources" / "starter"
STARTER_README = """# A lakeport project

Edit `conf/lakeport.yaml` (the lake, the datasets and their formats, merge policies, sources),
one schema per dataset in `schemas/`, one mapping per source feed in `conf/mappings/`.
Then: `lakeport validate`, `lakeport setup` (once: fetches the Delta jars), `lakeport demo`.
"""


def validate(ctx: Context) -> int:
    from lakeport.api import Lakeport
    from lakeport.config import config_path

    args = ctx.args
    problems = Lakeport.validate(args.config)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        if ctx.json:
            ctx.emit({"valid": False, "problems": problems})
        return 2
    cfg = ctx.config()
    where = config_path(args.config)
    if ctx.json:
        ctx.emit({"valid": True, "config": str(where), "datasets": sorted(cfg.datasets)})
    else:
        print(f"{where}: valid ({len(cfg.datasets)} datasets: {', '.join(cfg.datasets)})")
    return 0


def sample_data(ctx: Context) -> int:
    from lakeport import sample

    args = ctx.args
    summary = sample.generate(args.out, seed=args.seed, scale=args.scale)
    if ctx.json:
        ctx.emit(summary)
        return 0
    for name, info in summary["files"].items():
        extra = (
            f" ({info['bad_records']} documented bad records)" if info.get("bad_records") else ""
        )
        print(f"{name:10s} {info['records']:>9,d} records  {info['path']}{extra}")
    return 0


def demo(ctx: Context) -> int:
    from lakeport import demo as demo_job

    args = ctx.args
    return demo_job.run(config=args.config, lake=args.lake, out=args.out, as_json=ctx.json)


def report(ctx: Context) -> int:
    args = ctx.args
    if args.top < 1:
        raise UsageError(f"--top {args.top}: give a number of error codes of at least 1")
    data = ctx.lakeport().report(args.out, top=args.top)
    b = data["batches"]
    summary = {
        "out": args.out,
        "lake": data["lake"],
        "batches": b["total"],
        "byStatus": b["byStatus"],
        "datasets": {d["dataset"]: d["rows"] for d in data["datasets"]},
        "errorCodes": {e["code"]: e["records"] for e in b["errorCodes"]},
        "profilesBuilt": data["profiles"]["built"],
        "profilesPerPolicy": {p["policy"]: p["profiles"] for p in data["profiles"]["perPolicy"]},
    }
    if ctx.json:
        ctx.emit(summary)
    else:
        print(f"{args.out}: {b['total']} batches, {len(data['datasets'])} datasets")
        if not data["profiles"]["built"]:
            print("no profiles built yet: the profile charts are empty", file=sys.stderr)
    return 0


def maintain(ctx: Context) -> int:
    args = ctx.args
    done = ctx.lakeport().maintain(min_files=args.min_files, datasets=args.datasets)
    if ctx.json:
        ctx.emit(done.to_json())
        return 0
    for c in done.compacted:
        print(f"{c.table}: {c.files_before} -> {c.files_after} files ({c.seconds:.1f} s)")
    for table, why in done.skipped.items():
        print(f"{table}: not compacted: {why}", file=sys.stderr)
    if not done.compacted and not done.skipped:
        print(f"nothing to compact: no table holds {args.min_files} data files or more")
    return 0


def init(ctx: Context) -> int:
    """Write a starter project (the demo's config, schemas and mappings) into DIR."""
    target = Path(ctx.args.dir)
    if (target / "conf").exists() and not ctx.args.force:
        raise UsageError(
            f"{target / 'conf'} exists already; choose an empty directory, or pass --force to "
            "overwrite the starter files"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(STARTER.rglob("*")):
        if src.is_file():
            dst = target / src.relative_to(STARTER)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(str(dst.relative_to(target)))
    readme = target / "README.md"
    if not readme.exists():
        readme.write_text(STARTER_README, encoding="utf-8")
        written.append("README.md")
    if ctx.json:
        ctx.emit({"dir": str(target), "files": written})
    else:
        print(f"{target}: starter project ({len(written)} files); next: cd {target}")
        print("  lakeport validate && lakeport setup && lakeport demo")
    return 0


def setup(ctx: Context) -> int:
    """Check Java, then fetch the Delta (and with --s3 the S3A) jars once into the user cache."""
    from lakeport import jars
    from lakeport.session import check_java

    check_java()
    groups = ["delta", "s3"] if ctx.args.s3 else ["delta"]
    root = jars.fetch(groups, quiet=ctx.json or ctx.args.print_jars)
    found = jars.local_jars(groups)
    if ctx.args.print_jars:
        print(",".join(found))
    elif ctx.json:
        ctx.emit({"jarsDir": str(root), "packages": jars.packages(groups), "jars": len(found)})
    else:
        print(f"lakeport setup: {len(found)} jars for {', '.join(jars.packages(groups))}")
        print(f"  in {root}")
    return 0
