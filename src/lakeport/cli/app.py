"""``lakeport``: parse, check names, run the handler, and keep the exit-code and JSON contract.

Exit codes: 0 ok, 1 batch failed or data error, 2 usage or configuration error, 3 a source is
busy. Under ``--json`` stdout holds exactly one JSON object, also for usage errors and failures
that happen before anything ran; people get the same errors as lines on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from lakeport.cli import progress
from lakeport.cli.context import Context
from lakeport.cli.parser import ArgumentError, build_parser
from lakeport.errors import ConfigError, ErrorCode, LakeportError
from lakeport.spec.names import check_batch_id


def _check_names(args: argparse.Namespace) -> None:
    """Every batch id on the command line (``--batch-id``, ``ID``, ``--replace``) is a valid name."""
    if getattr(args, "batch_id", None) is not None:
        check_batch_id(args.batch_id)
    for replaced in getattr(args, "replace", None) or []:
        check_batch_id(replaced)


def _not_from_py4j(record: logging.LogRecord) -> bool:
    """Py4J logs a lost JVM with a traceback on the root logger; the CLI says it in one line."""
    return "/py4j/" not in record.pathname.replace("\\", "/")


def _error_object(code: str, message: str, exit_code: int, **extra: Any) -> str:
    return json.dumps({"error": {"code": code, "message": message, **extra}, "exitCode": exit_code})


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ArgumentError as exc:
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.message}", file=sys.stderr)
        if "--json" in argv:
            print(_error_object(ErrorCode.USAGE.value, exc.message, 2), flush=True)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    if not args.verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_not_from_py4j)
    ctx = Context(args)
    try:
        _check_names(args)  # before Spark starts: a bad id never reaches a path
        with progress.progress(progress.wanted(args)):
            return int(args.handler(ctx))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr, flush=True)
        _json_error(ctx, exc, problems=exc.problems)
        return exc.exit_code
    except LakeportError as exc:
        print(f"lakeport: error [{exc.code}]: {exc.message}", file=sys.stderr, flush=True)
        _json_error(ctx, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lakeport: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _jvm_gone(exc):
            raise
        message = (
            "Spark's JVM stopped while the command ran (out of memory, or killed); a batch it "
            "was processing stays 'processing': run the same command again to finish it"
        )
        print(f"lakeport: error [{ErrorCode.BATCH_SPARK_FAILURE}]: {message}", file=sys.stderr)
        if ctx.json and not ctx.emitted:
            print(_error_object(ErrorCode.BATCH_SPARK_FAILURE.value, message, 1), flush=True)
        return 1


def _jvm_gone(exc: BaseException) -> bool:
    """The Py4J gateway lost its JVM (a Python-side failure, not one reported by Spark)."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__module__.startswith("py4j") and "Network" in type(seen).__name__:
            return True
        if isinstance(seen, ConnectionRefusedError | BrokenPipeError | ConnectionResetError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _json_error(ctx: Context, exc: LakeportError, **extra: Any) -> None:
    """After the error line, the command's one JSON object: the failed batch when it has one,
    else (under --json) the error itself; so the last stdout line is always the JSON object."""
    if ctx.on_failure is not None and not ctx.emitted:
        ctx.emit(ctx.on_failure)
    elif ctx.json and not ctx.emitted:
        print(_error_object(str(exc.code), exc.message, exc.exit_code, **extra), flush=True)
