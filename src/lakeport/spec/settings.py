"""``conf/lakeport.yaml``: the lake, Spark, events, datasets, profiles and sources.

Example:
    >>> LakeportFile.model_validate({"datasets": {"products": {"format": "csv"}}}).datasets["products"].format
    'csv'
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from lakeport.spec.base import Problems, Strict
from lakeport.spec.inlet import InletSettings
from lakeport.spec.profiles import ProfilesSettings

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class ReaderOptions(Strict):
    """Reader options; which ones apply depends on the dataset's format."""

    multiline: bool = False
    header: bool = True
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', min_length=1, max_length=1)
    # RFC 4180: a quote inside a quoted field is written twice (""), as Excel and Python write it
    escape: str = Field(default='"', min_length=1, max_length=1)
    null_value: str = ""
    encoding: str = "UTF-8"
    # a JSON line with bytes that are not UTF-8 lands with U+FFFD and a warning, or fails
    encoding_errors: Literal["warn", "fail"] = "warn"

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use a name such as UTF-8, ISO-8859-1 or windows-1252"
            ) from None
        return value


FORMAT_OPTIONS = {
    "json": {"multiline", "encoding", "encoding_errors"},
    "csv": {"multiline", "header", "delimiter", "quote", "escape", "null_value", "encoding"},
    "parquet": set(),
    "aam": set(),
}


# The Delta table properties (``delta.<name>``) of Delta Lake 4.4 that a dataset may set
DELTA_TABLE_PROPERTIES = frozenset(
    (
        "appendOnly",
        "autoOptimize.autoCompact",
        "autoOptimize.optimizeWrite",
        "checkpoint.writeStatsAsJson",
        "checkpoint.writeStatsAsStruct",
        "checkpointInterval",
        "checkpointPolicy",
        "checkpointRetentionDuration",
        "columnMapping.mode",
        "dataSkippingNumIndexedCols",
        "dataSkippingStatsColumns",
        "dataSkippingStringPrefixLength",
        "deletedFileRetentionDuration",
        "enableChangeDataFeed",
        "enableDeletionVectors",
        "enableExpiredLogCleanup",
        "enableInCommitTimestamps",
        "enableRowTracking",
        "enableTypeWidening",
        "isolationLevel",
        "logRetentionDuration",
        "parquet.format.version",
        "randomizeFilePrefixes",
        "setTransactionRetentionDuration",
    )
)


def check_table_properties(value: dict[str, Any]) -> dict[str, Any]:
    """``delta.<property>`` names Delta knows (or ``delta.feature.<name>``), scalar values."""
    problems = []
    for key, given in value.items():
        name = key[len("delta.") :] if key.startswith("delta.") else None
        if name is None or not (name in DELTA_TABLE_PROPERTIES or name.startswith("feature.")):
            near = [p for p in sorted(DELTA_TABLE_PROPERTIES) if name and p.lower() == name.lower()]
            hint = (
                f"; did you mean 'delta.{near[0]}'?"
                if near
                else (
                    "; use a Delta table property such as delta.checkpointInterval or "
                    "delta.autoOptimize.autoCompact (README: Performance)"
                )
            )
            problems.append((key, f"{key!r} is not a Delta table property{hint}"))
        elif isinstance(given, float):
            problems.append((key, f"give {key} as a string or an integer, not {given!r}"))
    if problems:
        raise Problems(problems)
    return value


class PartialIngestion(Strict):
    """Partial ingestion: good rows land while failed rows stay under the thresholds."""

    enabled: bool = False
    error_threshold_percent: float = Field(default=5.0, ge=0, le=100)
    error_threshold_count: int | None = Field(default=None, ge=0)


class DatasetConfig(Strict):
    """One governed Delta dataset: its schema, mapping, input format and ingestion policy."""

    schema_name: str | None = Field(default=None, alias="schema")
    mapping: str | None = None
    format: Literal["json", "csv", "parquet", "aam"] = "json"
    options: ReaderOptions = Field(default_factory=ReaderOptions)
    schema_evolution: Literal["strict", "add_columns"] = "strict"
    partial_ingestion: PartialIngestion = Field(default_factory=PartialIngestion)
    diagnostics: bool = True
    allow_links: bool = False
    # a value that does not convert, in an optional field: null it with a warning, or fail the row
    on_invalid: Literal["null", "fail"] = "null"
    dedupe: bool | None = None
    batch_timeout_seconds: int = Field(default=3600, ge=10, le=7 * 86_400)
    # Delta table properties the dataset's table is created with (over lakeport's defaults)
    table_properties: dict[str, str | int | bool] = Field(default_factory=dict)
    description: str | None = None
    last_updated: str | None = Field(default=None, min_length=1)

    @field_validator("on_invalid", mode="before")
    @classmethod
    def _yaml_null(cls, value: Any) -> Any:
        return "null" if value is None else value  # YAML reads an unquoted null as nothing

    @field_validator("table_properties")
    @classmethod
    def _table_properties(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_table_properties(value)

    @field_validator("schema_name", "mapping")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.endswith((".yaml", ".yml")):
            raise ValueError(f"{value!r} includes the extension; write {Path(value).stem!r}")
        if not _FILE_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a file name; give the name of a YAML file without '.yaml' (letters, digits, '_', '-')"
            )
        return value

    @model_validator(mode="after")
    def _aam_is_fixed(self) -> DatasetConfig:
        # audience-partner files land in a fixed shape (jobs/storage/aam.py): nothing to map
        if self.format != "aam":
            return self
        fixed = "format aam has a fixed shape (user_id, data_source_id, target_dpid, trait_type, trait_key, trait_value, file_at)"
        problems = [
            (key, f"{fixed}; remove '{key}'")
            for key, given in (("schema", self.schema_name), ("mapping", self.mapping))
            if given is not None
        ]
        if self.schema_evolution != "strict":
            problems.append(("schema_evolution", f"{fixed}; remove 'schema_evolution'"))
        if problems:
            raise Problems(problems)
        return self

    @model_validator(mode="after")
    def _options_for_format(self) -> DatasetConfig:
        allowed = FORMAT_OPTIONS[self.format]
        takes = (
            f"{self.format} takes {', '.join(sorted(allowed))}"
            if allowed
            else f"{self.format} takes no options"
        )
        wrong = [
            k
            for k in ReaderOptions.model_fields
            if k in self.options.model_fields_set and k not in allowed
        ]
        if wrong:
            raise Problems(
                [
                    (f"options.{k}", f"does not apply to format {self.format}; remove it ({takes})")
                    for k in wrong
                ]
            )
        return self


class LakeSettings(Strict):
    root: str = Field(default="./lake", min_length=1)


class SparkSettings(Strict):
    app_name: str = "lakeport"
    master: str = "local[2]"
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)


class WebhookSettings(Strict):
    """Where ingestion events are POSTed; the HMAC secret is read from an environment variable."""

    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    attempts: int = Field(default=4, ge=1, le=10)


class EventSettings(Strict):
    """Ingestion events: always written to system/events; optionally POSTed to a webhook."""

    webhook: WebhookSettings | None = None


class SourceConfig(Strict):
    """A landing location whose new files are ingested into a dataset (``lakeport sources run``).

    ``format``, ``options`` and ``partial_ingestion`` default to the target dataset's; options given
    here override the dataset's one by one.
    """

    location: str = Field(min_length=1)
    glob: str = Field(default="*", min_length=1)
    dataset: str = Field(min_length=1)
    format: str | None = None
    options: ReaderOptions | None = None
    partial_ingestion: PartialIngestion | None = None
    max_files_per_batch: int = Field(default=1000, ge=1, le=1500)
    lock_timeout_seconds: int = Field(default=600, ge=10, le=86_400)
    description: str | None = None

    @field_validator("glob")
    @classmethod
    def _relative_glob(cls, value: str) -> str:
        if value.startswith("/") or "://" in value:
            raise ValueError(
                f"{value!r} is not relative; put the directory in 'location' and only the file "
                "pattern here (for example '*.jsonl' or '2026-*/*.json')"
            )
        return value


class LakeportFile(Strict):
    lake: LakeSettings = Field(default_factory=LakeSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    profiles: ProfilesSettings = Field(default_factory=ProfilesSettings)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    inlet: InletSettings = Field(default_factory=InletSettings)

    @field_validator("datasets", mode="before")
    @classmethod
    def _empty_means_defaults(cls, value: Any) -> Any:
        # "products:" with nothing under it is a dataset with every default, not an error
        if isinstance(value, dict):
            return {k: {} if v is None else v for k, v in value.items()}
        return value

    @field_validator("datasets")
    @classmethod
    def _names(cls, value: dict[str, DatasetConfig]) -> dict[str, DatasetConfig]:
        problems = []
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                better = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
                better = (
                    better
                    if re.fullmatch(r"[a-z][a-z0-9_]*", better)
                    else f"ds_{better}".rstrip("_")
                )
                problems.append(
                    (
                        name,
                        f"a dataset name must be lower-case letters, digits and '_', starting with a letter; rename it, for example {better!r}",
                    )
                )
        if problems:
            raise Problems(problems)
        return value
