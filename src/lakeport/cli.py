"""The ``lakeport`` command line: argument parsing and dispatch only; the work lives in the jobs.

Exit codes: 0 ok, 1 batch failed or data error, 2 usage or configuration error.
Machine-readable output (``--json``, and ``ingest`` always) is one JSON object on stdout; logs and
errors go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import sys
import time
from typing import Any

from lakeport.errors import BatchError, ConfigError, LakeportError

log = logging.getLogger("lakeport")

# Command groups that live in their own modules. Each module has
# ``register(add, common)``: ``add(name, help, example)`` returns a new sub-parser that already
# takes the common flags (--config, --lake, --json, -v); ``common`` is the parent parser for
# nested actions. Handlers are set with ``set_defaults(func=...)`` and return an exit code.
COMMAND_MODULES: tuple[str, ...] = (
    "lakeport.cli_profiles",
    "lakeport.cli_sources",
    "lakeport.cli_export",
    "lakeport.cli_report",
)

EXAMPLES = """\
examples:
  lakeport validate
  lakeport sample-data --out sample-data
  lakeport ingest --dataset loyalty sample-data/loyalty.jsonl
  lakeport batch create --dataset purchases
  lakeport batch upload <batch-id> sample-data/purchases.jsonl
  lakeport batch complete <batch-id>
  lakeport batch errors <batch-id> --format table
  lakeport datasets list
"""


_EMITTED = [0]  # JSON objects written to stdout by this run (main() adds an error object if none)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()
    _EMITTED[0] += 1


def _config(args: argparse.Namespace) -> Any:
    from lakeport.config import load_config

    return load_config(args.config, lake_root=args.lake)


def _local_paths(paths: list[str]) -> list[str]:
    """Relative local paths made absolute against this process's working directory.

    Spark resolves a relative path against its JVM's start directory, which differs from the
    Python one after an ``os.chdir`` (notebooks, in-process callers); URIs are left alone.
    """
    return [p if "://" in p or os.path.isabs(p) else os.path.abspath(p) for p in paths]


def _spark(cfg: Any) -> Any:
    from lakeport.session import get_spark

    return get_spark(cfg)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from lakeport.config import config_path, validate_tree

    problems = validate_tree(args.config)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        if args.json:
            _emit({"valid": False, "problems": problems})
        return 2
    cfg = _config(args)
    if args.json:
        _emit(
            {
                "valid": True,
                "config": str(config_path(args.config)),
                "datasets": sorted(cfg.datasets),
            }
        )
    else:
        print(
            f"{config_path(args.config)}: valid ({len(cfg.datasets)} datasets: {', '.join(cfg.datasets)})"
        )
    return 0


def cmd_sample_data(args: argparse.Namespace) -> int:
    from lakeport import sample_data

    summary = sample_data.generate(args.out, seed=args.seed, scale=args.scale)
    if args.json:
        _emit(summary)
    else:
        for name, info in summary["files"].items():
            extra = (
                f" ({info['bad_records']} documented bad records)"
                if info.get("bad_records")
                else ""
            )
            print(f"{name:10s} {info['records']:>9,d} records  {info['path']}{extra}")
    return 0


def _partial_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "partial", None) is not None:
        out["enabled"] = args.partial
    if getattr(args, "error_threshold_percent", None) is not None:
        out["enabled"] = True if args.partial is None else args.partial
        out["error_threshold_percent"] = args.error_threshold_percent
    if getattr(args, "error_threshold_count", None) is not None:
        out["enabled"] = True if args.partial is None else args.partial
        out["error_threshold_count"] = args.error_threshold_count
    if getattr(args, "diagnostics", None) is not None:
        out["diagnostics"] = args.diagnostics
    return out


def cmd_ingest(args: argparse.Namespace) -> int:
    from lakeport import ingest_batch

    cfg = _config(args)
    spark = _spark(cfg)
    started = time.monotonic()
    try:
        result = ingest_batch.ingest(
            spark,
            cfg,
            args.dataset,
            _local_paths(args.files),
            batch_id=args.batch_id,
            replace=args.replace,
            partial=_partial_overrides(args),
        )
    except BatchError as exc:
        if exc.batch_id:
            _emit_batch(spark, cfg, exc.batch_id)
        raise
    result["durationSeconds"] = round(time.monotonic() - started, 2)
    _emit(result)
    return 0


def _emit_batch(spark: Any, cfg: Any, batch_id: str) -> None:
    from lakeport.storage import lake as lk

    with contextlib.suppress(LakeportError):  # the summary is a courtesy; the error follows
        _emit(lk.batch_summary(lk.get_batch(spark, lk.Lake(cfg.lake_root), batch_id)))


def _print_batch(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    if args.json:
        _emit(summary)
        return
    m = summary["metrics"]
    print(f"batch {summary['batch_id']}  dataset={summary['dataset']}  status={summary['status']}")
    if m.get("inputRecordCount") is not None:
        print(
            f"  records: {m['inputRecordCount']} in, {m['outputRecordCount']} landed, {m['failedRecordCount']} failed"
            f" ({m.get('warningRecordCount') or 0} with warnings); files: {m['inputFileCount']}, bytes: {m['inputByteSize']}"
        )
    for code, n in summary.get("errorSummary", {}).items():
        print(f"  {code:32s} {n}")
    if summary.get("error"):
        print(f"  error {summary['error']['code']}: {summary['error']['message']}")


def cmd_batch(args: argparse.Namespace) -> int:
    from lakeport import ingest_batch
    from lakeport.storage import lake as lk

    cfg = _config(args)
    spark = _spark(cfg)
    action = args.batch_command
    if action == "create":
        summary = ingest_batch.create_batch(
            spark,
            cfg,
            args.dataset,
            batch_id=args.batch_id,
            input_format=args.format,
            replace=args.replace,
            partial=_partial_overrides(args),
        )
    elif action == "upload":
        summary = ingest_batch.upload(spark, cfg, args.batch_id, _local_paths(args.files))
    elif action == "complete":
        try:
            summary = ingest_batch.complete(spark, cfg, args.batch_id)
        except BatchError:
            if args.json:
                _emit_batch(spark, cfg, args.batch_id)
            raise
    elif action == "abort":
        summary = ingest_batch.abort(spark, cfg, args.batch_id)
    elif action == "status":
        summary = lk.batch_summary(lk.get_batch(spark, lk.Lake(cfg.lake_root), args.batch_id))
    elif action == "list":
        df = lk.batches(spark, lk.Lake(cfg.lake_root))
        if args.dataset:
            df = df.where(df.dataset == args.dataset)
        rows = [
            lk.batch_summary(r.asDict(recursive=True)) for r in df.orderBy("created_at").collect()
        ]
        if args.json:
            _emit({"batches": rows})
        else:
            for r in rows:
                m = r["metrics"]
                print(
                    f"{r['batch_id']:32s} {r['dataset']:12s} {r['status']:10s} "
                    f"in={m['inputRecordCount']} out={m['outputRecordCount']} failed={m['failedRecordCount']}"
                )
        return 0
    elif action == "errors":
        df = ingest_batch.batch_errors(spark, cfg, args.batch_id, code=args.code)
        rows = [r.asDict(recursive=True) for r in df.limit(args.limit).collect()]
        if args.json:  # one object, as everywhere else; --format jsonl streams one per record
            _emit({"batch_id": args.batch_id, "records": rows})
        elif args.format == "jsonl":
            for r in rows:
                _emit(r)
        else:
            for r in rows:
                codes = ", ".join(f"{e['code']}({e['field'] or '-'})" for e in r["errors"])
                print(
                    f"{r['source_file'].rsplit('/', 1)[-1]}:{r['line']}  {codes}  {r['raw'][:80]}"
                )
        return 0
    else:  # pragma: no cover - argparse restricts the choices
        raise AssertionError(action)
    _print_batch(args, summary)
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from lakeport import inspect_lake

    cfg = _config(args)
    spark = _spark(cfg)
    if args.datasets_command == "list":
        rows = inspect_lake.list_datasets(spark, cfg)
        if args.json:
            _emit({"datasets": rows})
        else:
            for r in rows:
                print(
                    f"{r['name']:12s} rows={r['rows']!s:>9s} version={r['version']!s:>4s} last_batch={r['lastBatch']}  {r['path']}"
                )
        return 0
    df = inspect_lake.preview(spark, cfg, args.name, args.limit)
    if args.json:
        _emit({"dataset": args.name, "rows": [r.asDict(recursive=True) for r in df.collect()]})
    else:
        df.show(args.limit, truncate=40, vertical=args.vertical)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from lakeport import demo

    return demo.run(config=args.config, lake=args.lake, out=args.out, as_json=args.json)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def partial_flags(q: argparse.ArgumentParser) -> None:
    """The partial-ingestion overrides shared by every command that runs a batch."""
    q.add_argument(
        "--partial",
        dest="partial",
        action="store_true",
        default=None,
        help="turn partial ingestion on",
    )
    q.add_argument(
        "--no-partial", dest="partial", action="store_false", help="turn partial ingestion off"
    )
    q.add_argument(
        "--error-threshold-percent",
        type=float,
        help="fail the batch above this %% of failed records",
    )
    q.add_argument(
        "--error-threshold-count",
        type=int,
        help="fail the batch above this many failed records",
    )
    q.add_argument(
        "--diagnostics",
        dest="diagnostics",
        action="store_true",
        default=None,
        help="keep failed records in system/errors (the dataset's setting otherwise)",
    )
    q.add_argument(
        "--no-diagnostics",
        dest="diagnostics",
        action="store_false",
        help="keep only counts and the error summary, not the failed records",
    )


class _Actions(argparse._SubParsersAction):  # type: ignore[type-arg]
    """A command's actions: ``add_parser(name, help=..., example=...)`` shows the example in --help."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        example = kwargs.pop("example", None)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        if kwargs.get("help"):
            kwargs.setdefault("description", kwargs["help"])
        if example:
            kwargs.setdefault("epilog", f"example:\n  {example}")
        return super().add_parser(name, **kwargs)


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    return [
        (name, sub)
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
    ]


def _derive_missing_examples(parser: argparse.ArgumentParser) -> None:
    """An action registered without ``example=`` gets one from its usage (positionals + required)."""
    for _, group in _subcommands(parser):
        for name, action_parser in _subcommands(group):
            if action_parser.epilog:
                continue
            words = [group.prog, name]
            for a in action_parser._actions:
                value = str(
                    next(iter(a.choices)) if a.choices else str(a.metavar or a.dest).upper()
                )
                if not a.option_strings and a.dest != "help":
                    words.append(value)
                elif a.required:
                    words += [a.option_strings[-1], value]
            action_parser.epilog = "example:\n  " + " ".join(words)
            action_parser.formatter_class = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", help="config file (default: $LAKEPORT_CONFIG or conf/lakeport.yaml)"
    )
    common.add_argument("--lake", help="lake root, overriding lake.root (also $LAKEPORT_LAKE)")
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")

    parser = argparse.ArgumentParser(
        prog="lakeport",
        description="Customer-data ingestion on Spark and Delta Lake.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            parents=[common],
            description=help_text,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.register("action", "parsers", _Actions)  # its actions take example=
        return p

    p = add(
        "validate",
        "check lakeport.yaml, every schema and mapping, without starting Spark",
        "lakeport validate --config conf/lakeport.yaml",
    )
    p.set_defaults(func=cmd_validate)

    p = add(
        "sample-data",
        "write the Luma sample feeds (deterministic, fictional)",
        "lakeport sample-data --out sample-data --scale 10",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--scale", type=int, default=1, help="multiply row counts (1000 -> 1M loyalty rows)"
    )
    p.set_defaults(func=cmd_sample_data)

    p = add(
        "ingest",
        "create, upload and complete a batch in one step",
        "lakeport ingest --dataset loyalty sample-data/loyalty.jsonl",
    )
    p.add_argument("--dataset", required=True)
    p.add_argument(
        "--batch-id", help="idempotency key: re-running the same id never duplicates rows"
    )
    p.add_argument(
        "--replace",
        nargs="+",
        default=[],
        metavar="BATCH_ID",
        help="batches whose rows this batch replaces",
    )
    partial_flags(p)
    p.add_argument("files", nargs="+", help="files, directories or globs (local or any Hadoop URI)")
    p.set_defaults(func=cmd_ingest)

    p = add(
        "batch",
        "batch lifecycle: create, upload, complete, abort, status, list, errors",
        "lakeport batch status <batch-id>",
    )
    bsub = p.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    q = bsub.add_parser(
        "create",
        parents=[common],
        help="open a batch",
        example="lakeport batch create --dataset purchases --batch-id purchases-2026-11-23",
    )
    q.add_argument("--dataset", required=True)
    q.add_argument("--format", help="input format (must be the dataset's)")
    q.add_argument("--batch-id")
    q.add_argument("--replace", nargs="+", default=[], metavar="BATCH_ID")
    partial_flags(q)
    q = bsub.add_parser(
        "upload",
        parents=[common],
        help="copy files into an open batch",
        example="lakeport batch upload purchases-2026-11-23 landing/purchases/*.jsonl",
    )
    q.add_argument("batch_id")
    q.add_argument("files", nargs="+")
    for action, text in (
        ("complete", "process an open batch (safe to retry)"),
        ("abort", "abort an open batch"),
        ("status", "show a batch's status, metrics and error summary"),
    ):
        q = bsub.add_parser(
            action,
            parents=[common],
            help=text,
            example=f"lakeport batch {action} purchases-2026-11-23 --json",
        )
        q.add_argument("batch_id")
    q = bsub.add_parser(
        "list", parents=[common], help="list batches", example="lakeport batch list --dataset crm"
    )
    q.add_argument("--dataset")
    q = bsub.add_parser(
        "errors",
        parents=[common],
        help="the failed records of a batch",
        example="lakeport batch errors demo-purchases --code REQUIRED_MISSING --format table",
    )
    q.add_argument("batch_id")
    q.add_argument("--code", help="only records with this error code")
    q.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
    q.add_argument("--limit", type=int, default=1000)
    p.set_defaults(func=cmd_batch)

    p = add(
        "datasets",
        "look at the lake: list datasets, preview rows",
        "lakeport datasets preview loyalty --limit 5",
    )
    dsub = p.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")
    dsub.add_parser(
        "list",
        parents=[common],
        help="name, rows, Delta version, path, last batch",
        example="lakeport datasets list --json",
    )
    q = dsub.add_parser(
        "preview",
        parents=[common],
        help="the first rows of a dataset",
        example="lakeport datasets preview loyalty --limit 3 --vertical",
    )
    q.add_argument("name")
    q.add_argument("--limit", type=int, default=10)
    q.add_argument("--vertical", action="store_true")
    p.set_defaults(func=cmd_datasets)

    p = add(
        "demo", "generate sample data and ingest it into ./lake; print a summary", "lakeport demo"
    )
    p.add_argument("--out", default="sample-data", help="where the sample feeds are written")
    p.set_defaults(func=cmd_demo)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(add, common)
    _derive_missing_examples(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for usage errors, 0 for --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    from lakeport import progress

    _EMITTED[0] = 0
    if isinstance(getattr(args, "target", None), str):  # export targets, like input files
        args.target = _local_paths([args.target])[0]
    try:
        _check_names(args)  # before Spark starts: a bad id never reaches a path
        with progress.progress(progress.wanted(args)):
            return int(args.func(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        _json_error(args, exc, problems=exc.problems)
        return exc.exit_code
    except LakeportError as exc:
        print(f"lakeport: error [{exc.code}]: {exc.message}", file=sys.stderr)
        _json_error(args, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lakeport: interrupted", file=sys.stderr)
        return 130


def _check_names(args: argparse.Namespace) -> None:
    """Every batch id on the command line (``--batch-id``, ``ID``, ``--replace``) is a valid name."""
    from lakeport.names import check_batch_id

    if getattr(args, "batch_id", None) is not None:
        check_batch_id(args.batch_id)
    for replaced in getattr(args, "replace", None) or []:
        check_batch_id(replaced)


def _json_error(args: argparse.Namespace, exc: LakeportError, **extra: Any) -> None:
    """Under --json an orchestrator still gets its one object when a command fails early."""
    if getattr(args, "json", False) and not _EMITTED[0]:
        error = {"code": exc.code, "message": exc.message, **extra}
        _emit({"error": error, "exitCode": exc.exit_code})


if __name__ == "__main__":
    sys.exit(main())
