"""The CLI's one declarative command table: every command, its help, example, arguments, handler.

Every command is one :class:`Command`: its path (``("batch", "create")``), help, example,
arguments and handler. A group (``batch``) is a Command without a handler. The parser is built
from this table alone (:mod:`lakeport.cli.parser`); there is no other way to register a command.
"""

from __future__ import annotations

from lakeport.cli.args import EXPORT, PARTIAL, REPLACE, SOURCE
from lakeport.cli.command import Arg, Command, arg
from lakeport.cli.commands import batches, datasets, exports, inlet, profiles, sources, tools
from lakeport.lake.maintenance import MIN_FILES, STREAM_EVERY

__all__ = ["COMMANDS", "Arg", "Command", "arg"]

COMMANDS: tuple[Command, ...] = (
    Command(
        ("init",),
        "write a starter project (config, schemas, mappings) into a directory",
        "lakeport init my-project",
        tools.init,
        (
            arg("dir", help="the project directory (created when missing)"),
            arg("--force", action="store_true", help="overwrite starter files that exist"),
        ),
    ),
    Command(
        ("setup",),
        "check Java and fetch the Delta jars once (Maven, else Spark's resolver)",
        "lakeport setup --s3",
        tools.setup,
        (
            arg(
                "--s3",
                action="store_true",
                help="also fetch hadoop-aws for s3a:// lakes and sources",
            ),
            arg(
                "--print-jars",
                action="store_true",
                help="print only the jars' paths, comma-separated (for spark-submit --jars)",
            ),
        ),
    ),
    Command(
        ("validate",),
        "check lakeport.yaml, every schema and mapping, without starting Spark",
        "lakeport validate --config conf/lakeport.yaml",
        tools.validate,
    ),
    Command(
        ("sample-data",),
        "write the Luma sample feeds (deterministic, fictional)",
        "lakeport sample-data --out sample-data --scale 10",
        tools.sample_data,
        (
            arg("--out", required=True, help="output directory"),
            arg("--seed", type=int, default=7),
            arg(
                "--scale", type=int, default=1, help="multiply row counts (1000 -> 1M loyalty rows)"
            ),
        ),
    ),
    Command(
        ("ingest",),
        "create, upload and complete a batch in one step",
        "lakeport ingest --dataset loyalty sample-data/loyalty.jsonl",
        batches.ingest,
        (
            arg("--dataset", required=True),
            arg("--batch-id", help="idempotency key: re-running the same id never duplicates rows"),
            REPLACE,
            *PARTIAL,
            arg("files", nargs="+", help="files, directories or globs (local or any Hadoop URI)"),
        ),
    ),
    Command(
        ("batch",),
        "batch lifecycle: create, upload, complete, abort, status, list, errors",
        "lakeport batch status <batch-id>",
    ),
    Command(
        ("batch", "create"),
        "open a batch",
        "lakeport batch create --dataset purchases --batch-id purchases-2026-11-23",
        batches.create,
        (
            arg("--dataset", required=True),
            arg("--format", help="input format (must be the dataset's)"),
            arg("--batch-id"),
            REPLACE,
            *PARTIAL,
        ),
    ),
    Command(
        ("batch", "upload"),
        "copy files into an open batch",
        "lakeport batch upload purchases-2026-11-23 landing/purchases/*.jsonl",
        batches.upload,
        (
            arg("batch_id"),
            arg("files", nargs="+"),
        ),
    ),
    Command(
        ("batch", "complete"),
        "process an open batch (safe to retry)",
        "lakeport batch complete purchases-2026-11-23 --json",
        batches.complete,
        (arg("batch_id"),),
    ),
    Command(
        ("batch", "abort"),
        "abort an open batch",
        "lakeport batch abort purchases-2026-11-23 --json",
        batches.abort,
        (arg("batch_id"),),
    ),
    Command(
        ("batch", "status"),
        "show a batch's status, metrics and error summary",
        "lakeport batch status purchases-2026-11-23 --json",
        batches.status,
        (arg("batch_id"),),
    ),
    Command(
        ("batch", "list"),
        "list batches",
        "lakeport batch list --dataset crm",
        batches.list_batches,
        (arg("--dataset"),),
    ),
    Command(
        ("batch", "errors"),
        "the failed records of a batch (--severity warning: the landed ones with warnings)",
        "lakeport batch errors demo-purchases --code REQUIRED_MISSING --format table",
        batches.errors,
        (
            arg("batch_id"),
            arg("--code", help="only records with this error code"),
            arg(
                "--severity",
                choices=["error", "warning", "all"],
                default="error",
                help="error: failed records (default); warning: landed records with warnings; all",
            ),
            arg("--format", choices=["jsonl", "table"], default="jsonl"),
            arg("--limit", type=int, default=1000),
        ),
    ),
    Command(
        ("datasets",),
        "look at the lake: list datasets, preview rows",
        "lakeport datasets preview loyalty --limit 5",
    ),
    Command(
        ("datasets", "list"),
        "name, rows, Delta version, path, last batch",
        "lakeport datasets list --json",
        datasets.list_datasets,
    ),
    Command(
        ("datasets", "preview"),
        "the first rows of a dataset",
        "lakeport datasets preview loyalty --limit 3 --vertical",
        datasets.preview,
        (
            arg("name"),
            arg("--limit", type=int, default=10),
            arg("--vertical", action="store_true"),
        ),
    ),
    Command(
        ("demo",),
        "generate sample data and ingest it into ./lake; print a summary",
        "lakeport demo",
        tools.demo,
        (arg("--out", default="sample-data", help="where the sample feeds are written"),),
    ),
    Command(
        ("profiles",),
        "identity graph and unified profiles: build, get",
        "lakeport profiles get --namespace loyaltyId --id L0000042",
    ),
    Command(
        ("profiles", "build"),
        "stitch identities and merge profiles (incremental when only new batches arrived)",
        "lakeport profiles build --policy loyalty_first --full",
        profiles.build,
        (
            arg("--policy", help="build only this merge policy (default: every policy)"),
            arg(
                "--full",
                action="store_true",
                help="recompute everything, even when incremental would do",
            ),
        ),
    ),
    Command(
        ("profiles", "get"),
        "the merged profile holding an identity, as JSON",
        "lakeport profiles get --namespace email --id daniel.r@example.com --policy loyalty_first --events",
        profiles.get,
        (
            arg("--namespace", required=True, help="identity namespace, e.g. loyaltyId"),
            arg("--id", required=True, help="identity value (case-sensitive)"),
            arg("--policy", help="merge policy (default: profiles.default_policy)"),
            arg("--events", action="store_true", help="include the profile's events"),
            arg("--events-limit", type=int, default=100, help="most events to show (oldest first)"),
        ),
    ),
    Command(
        ("sources",),
        "landing locations: ingest new files as batches, or continuously as a stream",
        "lakeport sources run landing",
    ),
    Command(
        ("sources", "list"),
        "configured sources, files seen, last batch",
        "lakeport sources list --json",
        sources.list_sources,
    ),
    Command(
        ("sources", "status"),
        "what a source ingested when, files waiting, the lease",
        "lakeport sources status landing",
        sources.status,
        (SOURCE,),
    ),
    Command(
        ("sources", "run"),
        "ingest the files not seen before as one batch (exit 3: another run holds the source)",
        "lakeport sources run landing --json",
        sources.run,
        (SOURCE,),
    ),
    Command(
        ("sources", "stream"),
        "the same pipeline under Structured Streaming, one batch per micro-batch",
        "lakeport sources stream landing --trigger 30s",
        sources.stream,
        (
            SOURCE,
            arg("--trigger", help="micro-batch interval such as 5s, 500ms, 2m (default 10s)"),
            arg(
                "--available-now",
                action="store_true",
                help="ingest what is there now, in micro-batches, then stop",
            ),
            arg(
                "--profiles",
                action="store_true",
                help="update the identity graph and every policy's profiles after each micro-batch",
            ),
            arg(
                "--compact-every",
                type=int,
                default=STREAM_EVERY,
                metavar="N",
                help="compact the lake's small files every N micro-batches "
                f"(default {STREAM_EVERY}; 0: never)",
            ),
        ),
    ),
    Command(("inlet",), "the HTTP streaming inlet", "lakeport inlet serve --port 8080"),
    Command(
        ("inlet", "serve"),
        "accept JSON records over HTTP (POST /collection/<dataset>) into landing files",
        "lakeport inlet serve --host 0.0.0.0 --port 8080",
        inlet.serve,
        (
            arg("--host", default="127.0.0.1", help="interface (0.0.0.0: every one)"),
            arg("--port", type=int, default=8080, help="TCP port (0: a free one)"),
        ),
    ),
    Command(
        ("export",),
        "export a profile snapshot or a dataset to parquet/json/csv files with a manifest",
        "lakeport export snapshot --policy timestamp_ordered --target /exports --format parquet",
    ),
    Command(
        ("export", "snapshot"),
        "the profiles of one merge policy at one Delta version",
        "lakeport export snapshot --policy timestamp_ordered --target exports --format json --compression gzip --incremental --export-time 202611230300 --json",
        exports.export,
        (
            arg("--policy", required=True, help="merge policy (<lake>/profiles/<policy>)"),
            *EXPORT,
        ),
    ),
    Command(
        ("export", "dataset"),
        "one dataset at one Delta version (incremental: the batches since the last export)",
        "lakeport export dataset purchases --target exports --format csv --incremental",
        exports.export,
        (
            arg("name", help="dataset name (<lake>/datasets/<name>)"),
            *EXPORT,
        ),
    ),
    Command(
        ("report",),
        "write a self-contained HTML report: batches, records, error codes, datasets, profiles",
        "lakeport report --out report.html",
        tools.report,
        (
            arg("--out", default="report.html", help="the HTML file to write (local path)"),
            arg("--top", type=int, default=10, help="how many error codes to chart"),
        ),
    ),
    Command(
        ("maintain",),
        "compact the lake's small files (Delta OPTIMIZE): system and profile tables, --datasets too",
        "lakeport maintain --min-files 50 --datasets",
        tools.maintain,
        (
            arg(
                "--min-files",
                type=int,
                default=MIN_FILES,
                help=f"compact a table once it holds this many data files (default {MIN_FILES})",
            ),
            arg("--datasets", action="store_true", help="also compact every dataset's table"),
        ),
    ),
)
