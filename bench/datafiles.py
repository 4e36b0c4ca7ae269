"""Input files for the ingestion benchmarks, built once under ``bench/out/data`` and reused.

``clean_purchases(rows)``: the first ``rows`` good lines of ``lakeport.sample``'s purchases feed
(the 12 documented bad lines per 1,000 are dropped using ``purchase_bad_lines``). The feed is
generated at the smallest scale that yields enough good lines (scale 1000 gives 988,000, so
1,000,000 records need scale 1013); the generated sample directory is deleted afterwards.

``bad_purchases(rows)``: the clean file with every 100th line replaced by a bad line, rotating
through an invalid date (``2025-02-30T10:00:00Z``), a missing ``transaction_id`` and the text
``not json``: exactly ``rows // 100`` bad records (1%).

Files are written to a temporary name and renamed, so an interrupted run never leaves a
half-written file that a later run would reuse.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

from lakeport import sample as sample_data

GOOD_PER_BLOCK = sample_data.BLOCK_SIZE - len(sample_data.PURCHASE_BAD_KINDS)  # 988
BAD_EVERY = 100
BAD_KINDS = ("invalid_date", "missing_transaction_id", "not_json")


def _log(msg: str) -> None:
    print(f"[data] {msg}", flush=True)


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def clean_purchases(data_dir: Path, rows: int, seed: int = 7) -> Path:
    """Path of a JSON Lines file with exactly ``rows`` good purchase records (built if missing)."""
    target = data_dir / f"purchases-clean-{rows}.jsonl"
    if target.exists():
        return target
    data_dir.mkdir(parents=True, exist_ok=True)
    scale = max(1, math.ceil(rows / GOOD_PER_BLOCK))
    gen_dir = data_dir / f"gen-scale{scale}"
    t0 = time.perf_counter()
    _log(f"generating sample data at scale={scale} into {gen_dir} ...")
    summary = sample_data.generate(gen_dir, seed=seed, scale=scale)
    source = Path(summary["files"]["purchases"]["path"])
    bad = {line for line, _code, _field in sample_data.purchase_bad_lines(scale)}
    tmp = target.with_suffix(".tmp")
    written = 0
    with source.open("r", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as out:
        for n, line in enumerate(src, start=1):
            if n in bad:
                continue
            out.write(line)
            written += 1
            if written == rows:
                break
    if written != rows:
        tmp.unlink()
        raise RuntimeError(f"only {written} good lines at scale {scale}, wanted {rows}")
    tmp.rename(target)
    shutil.rmtree(gen_dir)
    _log(
        f"wrote {target} ({rows} records, {target.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return target


def _bad_line(good: str, kind: str) -> str:
    if kind == "not_json":
        return "not json"
    obj = json.loads(good)
    if kind == "invalid_date":
        obj["purchase_time"] = "2025-02-30T10:00:00Z"
    else:
        del obj["transaction_id"]
    return json.dumps(obj)


def bad_purchases(data_dir: Path, clean: Path, rows: int) -> Path:
    """Path of the clean file with every 100th line replaced by a bad one (built if missing)."""
    target = data_dir / f"purchases-bad1pct-{rows}.jsonl"
    if target.exists():
        return target
    t0 = time.perf_counter()
    tmp = target.with_suffix(".tmp")
    replaced = 0
    with clean.open("r", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as out:
        for n, line in enumerate(src, start=1):
            if n % BAD_EVERY == 0:
                out.write(_bad_line(line.rstrip("\n"), BAD_KINDS[replaced % len(BAD_KINDS)]) + "\n")
                replaced += 1
            else:
                out.write(line)
    tmp.rename(target)
    _log(f"wrote {target} ({rows} records, {replaced} bad) in {time.perf_counter() - t0:.1f} s")
    return target


def expected_bad(rows: int) -> dict[str, int]:
    """Error codes the bad file must produce, per code."""
    n = rows // BAD_EVERY
    per_kind = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
    return {
        "CONVERSION_INVALID_DATETIME": per_kind[0],
        "REQUIRED_MISSING": per_kind[1],
        "PARSE_MALFORMED_JSON": per_kind[2],
    }


def head_lines(data_dir: Path, source: Path, lines: int) -> Path:
    """The first ``lines`` lines of ``source`` (built if missing): small warm-up inputs."""
    target = data_dir / f"{source.stem}-head{lines}.jsonl"
    if target.exists():
        return target
    tmp = target.with_suffix(".tmp")
    with source.open("r", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as out:
        for n, line in enumerate(src, start=1):
            if n > lines:
                break
            out.write(line)
    tmp.rename(target)
    return target


__all__ = ["bad_purchases", "clean_purchases", "expected_bad", "head_lines"]
