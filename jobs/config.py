"""Load and validate lakeport's YAML: ``conf/lakeport.yaml``, ``schemas/*.yaml``, ``conf/mappings/*.yaml``.

Everything is parsed with ``yaml.safe_load`` (duplicate keys are errors), ``${ENV_VAR}`` and
``${ENV_VAR:-default}`` references are expanded, and the result is validated by strict, frozen
pydantic models (unknown keys are errors) *before* Spark starts. Every problem is reported as one
line: ``file: key.path: what is wrong; what to do``.

Example:
    >>> cfg = load_config("conf/lakeport.yaml")          # raises ConfigError listing every problem
    >>> cfg.datasets["loyalty"].schema_spec.class_
    'profile'
"""

from __future__ import annotations

import codecs
import datetime as _dt
import difflib
import functools
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jobs.errors import ConfigError
from jobs.transforms.expressions import datetime_pattern_problem, regex_problem, zone_problem

DEFAULT_CONFIG = "conf/lakeport.yaml"
FieldType = Literal[
    "string",
    "integer",
    "long",
    "short",
    "byte",
    "double",
    "boolean",
    "date",
    "datetime",
    "object",
    "array",
    "map",
]
PRIMITIVE_TYPES = (
    "string",
    "integer",
    "long",
    "short",
    "byte",
    "double",
    "boolean",
    "date",
    "datetime",
)
NUMERIC_TYPES = ("integer", "long", "short", "byte", "double")
MAX_IDENTITY_LENGTH = 1024
SYSTEM_COLUMN_NAMES = ("_batch_id", "_ingested_at", "_source_file", "_errors", "_warnings")
_FIELD_NAME = re.compile(r"[^\W\d_][\w-]*")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class _Problems(ValueError):
    """Problems found by a model validator, each at a key path below the model ("" = the model)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in items))
        self.items = items


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------------
# schemas/<name>.yaml
# --------------------------------------------------------------------------------------------


class IdentitySpec(_Strict):
    """Marks a field as an identity: a (namespace, value) pair used to stitch profiles."""

    namespace: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    primary: bool = False


def _enum_value_problem(value: Any, type_: str) -> str | None:
    """Why an enum value cannot be a value of a field of ``type_``, or None."""
    if type_ in ("string", "date", "datetime"):
        if isinstance(value, str):
            return None
        unquoted = (
            " (YAML reads unquoted yes/no/on/off/true/false as booleans)"
            if isinstance(value, bool)
            else ""
        )
        return f"{value!r} is not a string{unquoted}; put it in quotes"
    if type_ == "boolean":
        return (
            None
            if isinstance(value, bool)
            else f"{value!r} is not true or false; write true or false"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number; write a {type_} value"
    if type_ != "double" and not float(value).is_integer():
        return f"{value!r} is not a whole number; write a {type_} value"
    return None


class FieldSpec(_Strict):
    """One field of a dataset schema (recursive for objects and arrays)."""

    type: FieldType
    required: bool = False
    description: str | None = None
    enum: list[str | int | float | bool] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    identity: IdentitySpec | None = None
    fields: dict[str, FieldSpec] | None = None
    items: FieldSpec | None = None
    values: FieldSpec | None = None

    @model_validator(mode="after")
    def _shape(self) -> FieldSpec:
        t = self.type
        problems: list[tuple[str, str]] = []
        if t == "object" and not self.fields:
            problems.append(
                ("", "an object needs 'fields'; declare its sub-fields or use type 'map'")
            )
        if t != "object" and self.fields is not None:
            problems.append(
                (
                    "fields",
                    f"only an object has 'fields', this field is {t}; remove them or set type: object",
                )
            )
        if t == "array" and self.items is None:
            problems.append(
                (
                    "",
                    "an array needs 'items'; add the type of its elements, for example items: {type: string}",
                )
            )
        if t != "array" and self.items is not None:
            problems.append(
                (
                    "items",
                    f"only an array has 'items', this field is {t}; remove it or set type: array",
                )
            )
        if self.values is not None and t != "map":
            problems.append(
                (
                    "values",
                    f"only a map has 'values', this field is {t}; remove it or set type: map",
                )
            )
        elif self.values is not None and self.values.type not in PRIMITIVE_TYPES:
            problems.append(
                (
                    "values.type",
                    f"map values must be a primitive type ({', '.join(PRIMITIVE_TYPES)}), not {self.values.type}",
                )
            )
        for key in ("minimum", "maximum"):
            if getattr(self, key) is not None and t not in NUMERIC_TYPES:
                problems.append(
                    (
                        key,
                        f"applies to numeric types ({', '.join(NUMERIC_TYPES)}), not {t}; remove it or change the type",
                    )
                )
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            problems.append(
                ("minimum", f"{self.minimum:g} is greater than maximum {self.maximum:g}; swap them")
            )
        if self.pattern is not None:
            if t != "string":
                problems.append(
                    ("pattern", f"applies to strings, not {t}; remove it or set type: string")
                )
            else:
                problem = regex_problem(self.pattern)
                if problem:
                    problems.append(
                        (
                            "pattern",
                            f"{problem} (in YAML, single quotes keep backslashes as written)",
                        )
                    )
        if self.enum is not None:
            if t not in PRIMITIVE_TYPES:
                problems.append(("enum", f"applies to primitive types, not {t}; remove it"))
            elif not self.enum:
                problems.append(
                    (
                        "enum",
                        "an empty enum allows no value; list the allowed values or remove enum",
                    )
                )
            else:
                for i, value in enumerate(self.enum):
                    problem = _enum_value_problem(value, t)
                    if problem:
                        problems.append((f"enum[{i}]", problem))
        if self.identity is not None and t != "string":
            problems.append(
                (
                    "identity",
                    f"an identity must be a string field, not {t}; set type: string or remove identity",
                )
            )
        if self.required and t == "object":
            problems.append(
                (
                    "required",
                    "applies to fields that hold a value, not to objects; mark the sub-fields required",
                )
            )
        if problems:
            raise _Problems(problems)
        return self


def _walk_fields(
    fields: Mapping[str, FieldSpec], at: str = "fields", inside: bool = False
) -> Iterator[tuple[str, str | None, FieldSpec, bool]]:
    """(key path, name, spec, inside an array or map) for every field; items and values have no name."""
    for name, spec in fields.items():
        here = f"{at}.{name}"
        yield here, name, spec, inside
        yield from _walk_children(here, spec, inside)


def _walk_children(
    here: str, spec: FieldSpec, inside: bool
) -> Iterator[tuple[str, str | None, FieldSpec, bool]]:
    if spec.fields:
        yield from _walk_fields(spec.fields, f"{here}.fields", inside)
    for key, sub in (("items", spec.items), ("values", spec.values)):
        if sub is not None:
            yield f"{here}.{key}", None, sub, True
            yield from _walk_children(f"{here}.{key}", sub, True)


class SchemaSpec(_Strict):
    """A dataset's target schema: its class and its (nested) fields."""

    name: str | None = None
    class_: Literal["profile", "event", "other"] = Field(alias="class")
    description: str | None = None
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _class_rules(self) -> SchemaSpec:
        problems: list[tuple[str, str]] = []
        if not self.fields:
            problems.append(
                ("fields", "a schema needs at least one field; declare them as name: {type: ...}")
            )
        for at, name, spec, inside in _walk_fields(self.fields):
            if name is None:
                pass  # array items or map values
            elif name.startswith("_") and name != "_id":
                problems.append(
                    (
                        at,
                        f"names starting with '_' are reserved for system columns ({', '.join(SYSTEM_COLUMN_NAMES)}); rename it",
                    )
                )
            elif name != "_id" and not _FIELD_NAME.fullmatch(name):
                problems.append(
                    (
                        at,
                        f"{name!r} cannot be a field name; use letters, digits, '_' and '-', starting with a letter",
                    )
                )
            if inside and spec.identity is not None:
                problems.append(
                    (
                        f"{at}.identity",
                        "an identity inside an array or map is not supported; move it to a field of its own",
                    )
                )
        if self.class_ == "event":
            for key, type_ in (("timestamp", "datetime"), ("_id", "string")):
                top = self.fields.get(key)
                if top is None:
                    problems.append(
                        (
                            f"fields.{key}",
                            f"an event schema needs a top-level '{key}' field; add {key}: {{type: {type_}, required: true}}",
                        )
                    )
                elif top.type != type_:
                    problems.append(
                        (
                            f"fields.{key}.type",
                            f"an event's '{key}' must be of type {type_}, not {top.type}; change it to {type_}",
                        )
                    )
        if self.class_ == "profile":
            primaries = [
                p for p, f in iter_leaves(self.fields) if f.identity and f.identity.primary
            ]
            if not primaries:
                problems.append(
                    (
                        "fields",
                        "a profile schema needs exactly one primary identity, found none; "
                        "mark one field identity: {namespace: ..., primary: true}",
                    )
                )
            elif len(primaries) > 1:
                problems.append(
                    (
                        "fields",
                        f"a profile schema needs exactly one primary identity, found {len(primaries)} "
                        f"({', '.join(primaries)}); keep primary: true on one of them",
                    )
                )
        if problems:
            raise _Problems(problems)
        return self

    def identities(self) -> list[tuple[str, IdentitySpec]]:
        """(field path, identity) for every identity field, in declaration order."""
        return [(p, f.identity) for p, f in iter_leaves(self.fields) if f.identity is not None]

    def leaf(self, path: str) -> FieldSpec | None:
        """The field at a dot path (objects only), or None."""
        fields: Mapping[str, FieldSpec] | None = self.fields
        spec: FieldSpec | None = None
        for part in path.split("."):
            if fields is None or part not in fields:
                return None
            spec = fields[part]
            fields = spec.fields
        return spec


def iter_leaves(
    fields: Mapping[str, FieldSpec], prefix: str = ""
) -> Iterator[tuple[str, FieldSpec]]:
    """Yield (dot path, spec) for every non-object field, depth first, in declaration order."""
    for name, spec in fields.items():
        path = f"{prefix}{name}"
        if spec.type == "object" and spec.fields:
            yield from iter_leaves(spec.fields, path + ".")
        else:
            yield path, spec


# --------------------------------------------------------------------------------------------
# conf/mappings/<feed>.yaml
# --------------------------------------------------------------------------------------------


class MappingEntry(_Strict):
    """Sets one target path from a source path, a constant value, or an expression."""

    target: str = Field(min_length=1)
    source: str | None = None
    value: str | int | float | bool | None = None
    expression: str | None = None
    format: str | list[str] | None = None
    timezone: str | None = None
    unit: Literal["millis", "seconds"] | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> MappingEntry:
        problems: list[tuple[str, str]] = []
        given = [k for k in ("source", "value", "expression") if getattr(self, k) is not None]
        if not given:
            problems.append(
                (
                    "",
                    f"the entry for {self.target!r} has no 'source', 'value' or 'expression'; give exactly one",
                )
            )
        elif len(given) > 1:
            both = " and ".join(repr(k) for k in given)
            problems.append(
                ("", f"the entry for {self.target!r} has both {both}; keep exactly one of them")
            )
        for i, fmt in enumerate(self.formats()):
            problem = datetime_pattern_problem(fmt)
            if problem:
                problems.append(
                    ("format" if isinstance(self.format, str) else f"format[{i}]", problem)
                )
        if self.timezone is not None:
            problem = zone_problem(self.timezone)
            if problem:
                problems.append(("timezone", problem))
        if problems:
            raise _Problems(problems)
        return self

    def formats(self) -> list[str]:
        if self.format is None:
            return []
        return [self.format] if isinstance(self.format, str) else list(self.format)


class MappingSpec(_Strict):
    """A source feed's mapping onto a dataset schema."""

    schema_: str | None = Field(default=None, alias="schema")
    description: str | None = None
    auto: bool = False
    timezone: str = "UTC"
    fields: list[MappingEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)


def _check_zone(value: str) -> str:
    problem = zone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# --------------------------------------------------------------------------------------------
# conf/lakeport.yaml
# --------------------------------------------------------------------------------------------


class ReaderOptions(_Strict):
    """Reader options; which ones apply depends on the dataset's format."""

    multiline: bool = False
    header: bool = True
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', min_length=1, max_length=1)
    escape: str = Field(default="\\", min_length=1, max_length=1)
    null_value: str = ""
    encoding: str = "UTF-8"

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


_FORMAT_OPTIONS = {
    "json": {"multiline", "encoding"},
    "csv": {"multiline", "header", "delimiter", "quote", "escape", "null_value", "encoding"},
    "parquet": set(),
    "aam": set(),
}


class PartialIngestion(_Strict):
    """Partial ingestion: good rows land while failed rows stay under the thresholds."""

    enabled: bool = False
    error_threshold_percent: float = Field(default=5.0, ge=0, le=100)
    error_threshold_count: int | None = Field(default=None, ge=0)


class DatasetConfig(_Strict):
    """One governed Delta dataset: its schema, mapping, input format and ingestion policy."""

    schema_name: str | None = Field(default=None, alias="schema")
    mapping: str | None = None
    format: Literal["json", "csv", "parquet", "aam"] = "json"
    options: ReaderOptions = Field(default_factory=ReaderOptions)
    schema_evolution: Literal["strict", "add_columns"] = "strict"
    partial_ingestion: PartialIngestion = Field(default_factory=PartialIngestion)
    diagnostics: bool = True
    allow_links: bool = False
    description: str | None = None
    last_updated: str | None = Field(default=None, min_length=1)

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
            raise _Problems(problems)
        return self

    @model_validator(mode="after")
    def _options_for_format(self) -> DatasetConfig:
        allowed = _FORMAT_OPTIONS[self.format]
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
            raise _Problems(
                [
                    (f"options.{k}", f"does not apply to format {self.format}; remove it ({takes})")
                    for k in wrong
                ]
            )
        return self


class LakeSettings(_Strict):
    root: str = Field(default="./lake", min_length=1)


class SparkSettings(_Strict):
    app_name: str = "lakeport"
    master: str = "local[2]"
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)


class WebhookSettings(_Strict):
    """Where ingestion events are POSTed; the HMAC secret is read from an environment variable."""

    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    attempts: int = Field(default=4, ge=1, le=10)


class EventSettings(_Strict):
    """Ingestion events: always written to system/events; optionally POSTed to a webhook."""

    webhook: WebhookSettings | None = None


class Guardrails(_Strict):
    """Limits that stop one shared value from collapsing many people into one profile."""

    max_identities_per_graph: int = Field(default=50, ge=2, le=100_000)
    max_identities_per_record: int = Field(default=20, ge=2, le=10_000)
    max_identity_length: int = Field(default=MAX_IDENTITY_LENGTH, ge=1, le=65_536)


class MergePolicy(_Strict):
    """How fragments become one profile: which identity graph, and which value wins."""

    merge: Literal["timestamp_ordered", "dataset_precedence"] = "timestamp_ordered"
    identity_graph: Literal["stitched", "none"] = "stitched"
    datasets: list[str] | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _datasets_for_precedence(self) -> MergePolicy:
        if self.merge == "dataset_precedence" and not self.datasets:
            raise _Problems(
                [
                    (
                        "datasets",
                        "dataset_precedence needs the ordered list of datasets, first wins; "
                        "add datasets: [<first>, <second>, ...]",
                    )
                ]
            )
        if self.merge == "timestamp_ordered" and self.datasets is not None:
            raise _Problems(
                [
                    (
                        "datasets",
                        "only dataset_precedence takes a dataset list (timestamp_ordered merges every "
                        "profile dataset); remove it or set merge: dataset_precedence",
                    )
                ]
            )
        if self.datasets and len(set(self.datasets)) != len(self.datasets):
            raise _Problems([("datasets", "a dataset is listed twice; list each dataset once")])
        return self


class ProfilesSettings(_Strict):
    """Identity stitching and the merge policies, one profiles table per policy."""

    default_policy: str = "timestamp_ordered"
    guardrails: Guardrails = Field(default_factory=Guardrails)
    policies: dict[str, MergePolicy] = Field(
        default_factory=lambda: {"timestamp_ordered": MergePolicy()}
    )

    @field_validator("policies", mode="before")
    @classmethod
    def _empty_policy_means_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {} if v is None else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _policy_names(self) -> ProfilesSettings:
        problems = [
            (
                f"policies.{name}",
                "a policy name must be lower-case letters, digits and '_', starting with a letter "
                "(it names the directory profiles/<policy>/); rename it",
            )
            for name in self.policies
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name)
        ]
        if not self.policies:
            problems.append(("policies", "declare at least one merge policy"))
        elif self.default_policy not in self.policies:
            problems.append(
                (
                    "default_policy",
                    f"{self.default_policy!r} is not a policy here; use one of: "
                    f"{', '.join(self.policies)}",
                )
            )
        if problems:
            raise _Problems(problems)
        return self


class SourceConfig(_Strict):
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


class LakeportFile(_Strict):
    lake: LakeSettings = Field(default_factory=LakeSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    profiles: ProfilesSettings = Field(default_factory=ProfilesSettings)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)

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
            raise _Problems(problems)
        return value


# --------------------------------------------------------------------------------------------
# The resolved configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A dataset with its schema and mapping loaded."""

    name: str
    config: DatasetConfig
    schema_spec: SchemaSpec
    mapping: MappingSpec
    schema_file: Path
    mapping_file: Path | None


@dataclass(frozen=True)
class Config:
    """Everything lakeport.yaml names, loaded and validated."""

    path: Path
    lake_root: str
    spark: SparkSettings
    datasets: dict[str, Dataset] = field(default_factory=dict)
    events: EventSettings = field(default_factory=EventSettings)
    profiles: ProfilesSettings = field(default_factory=ProfilesSettings)
    sources: dict[str, SourceConfig] = field(default_factory=dict)

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name``; a ConfigError with a suggestion when there is none.

        Example:
            >>> cfg.dataset("loyalty").schema_spec.name
            'loyalty'
        """
        if name not in self.datasets:
            hint = (
                _suggest(name, self.datasets)
                or f"; use one of: {', '.join(self.datasets) or '(none configured)'}"
            )
            raise ConfigError([f"{self.path}: datasets: no dataset named {name!r}{hint}"])
        return self.datasets[name]


# --------------------------------------------------------------------------------------------
# Reading YAML
# --------------------------------------------------------------------------------------------

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _StrictLoader(yaml.SafeLoader):
    """``safe_load`` that refuses duplicate keys instead of silently keeping the last one."""


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same with libyaml's parser when PyYAML has it (errors are re-read by the pure loader)."""


def _no_duplicates(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # keys merged in with << may be overridden
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen_at = first.get(key)
        except TypeError:  # an unhashable key; the base constructor reports it
            continue
        if seen_at is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen_at + 1}); keep one",
                key_node.start_mark,
            )
        first[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


@functools.lru_cache(maxsize=256)
def _yaml_data(text: str) -> Any:
    """The parsed YAML text (cached by content: validate_tree and load_config read files twice).

    Raises:
        yaml.YAMLError: with the pure-Python loader's message and position, so that messages do
            not depend on whether libyaml is installed.
    """
    try:
        return yaml.load(text, Loader=_FastStrictLoader)  # SafeLoader subclasses: plain data only
    except yaml.YAMLError:
        yaml.load(text, Loader=_StrictLoader)
        raise


def _interpolate(node: Any, where: str, problems: list[str], file: Path, failed: set[str]) -> Any:
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{where}.{k}" if where else str(k), problems, file, failed)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [
            _interpolate(v, f"{where}[{i}]", problems, file, failed) for i, v in enumerate(node)
        ]
    if isinstance(node, str) and "${" in node:
        key = where or "(top level)"
        for start in (m.start() for m in re.finditer(r"\$\{", node)):
            if not _ENV_REF.match(node, start):
                fragment = node[start:].split("}", 1)[0][:40] + ("}" if "}" in node[start:] else "")
                problems.append(
                    f"{file}: {key}: {fragment!r} is not a valid reference; write ${{NAME}} or ${{NAME:-default}} "
                    "(NAME: letters, digits and '_')"
                )
                failed.add(key)

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = os.environ.get(name)
            if value is None:
                if default is not None:
                    return default
                problems.append(
                    f"{file}: {key}: environment variable {name} is not set; export it, "
                    f"or write ${{{name}:-default}} to give a default"
                )
                failed.add(key)
                return ""
            return value

        return _ENV_REF.sub(repl, node)
    return node


def _yaml_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, _dt.date | _dt.datetime):
        return "a date"
    return type(value).__name__


def _keys_hint(model: type[BaseModel]) -> str:
    required = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
    if required:
        return f"it needs at least: {', '.join(required)}"
    return f"add its keys ({', '.join(sorted(_model_keys(model)))})"


def _read_yaml(path: Path, problems: list[str], model: type[BaseModel], failed: set[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: file not found; create it or fix the path that names it")
        return None
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return None
    except OSError as exc:
        problems.append(
            f"{path}: cannot be read ({exc.strerror}); check that it is a readable file"
        )
        return None
    try:
        data = _yaml_data(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top level)"
        problem = getattr(exc, "problem", None) or str(exc)
        if problem.startswith("duplicate key"):
            problems.append(f"{path}: {at}: {problem}")
        else:
            problems.append(f"{path}: {at}: not valid YAML ({problem}); fix the syntax there")
        return None
    if data is None:
        problems.append(f"{path}: the file is empty; {_keys_hint(model)}")
        return None
    if not isinstance(data, dict):
        problems.append(
            f"{path}: (top level): expected a mapping of keys, got {_yaml_kind(data)}; "
            f"write 'key: value' lines ({', '.join(sorted(_model_keys(model)))})"
        )
        return None
    return _interpolate(data, "", problems, path, failed)


# --------------------------------------------------------------------------------------------
# pydantic errors -> one line each
# --------------------------------------------------------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _join(base: str, at: str) -> str:
    if not at:
        return base
    if base == "(top level)":
        return at
    return base + at if at.startswith("[") else f"{base}.{at}"


def _non_none(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _label(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _step(annotation: Any, part: Any) -> Any:
    """The annotation one key below ``annotation`` (a model field, a dict value or a list item)."""
    members = _non_none(annotation)
    if len(members) != 1:
        return None
    current = members[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        for name, info in current.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(current)
    if origin is dict:
        return typing.get_args(current)[1]
    if origin is list:
        return typing.get_args(current)[0]
    return None


def _clean(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool, Any]:
    """(the loc without union-member tags, whether it had one, the annotation at the loc)."""
    clean: list[Any] = []
    current: Any = model
    tagged = False
    for part in loc:
        if isinstance(part, str) and (
            part.startswith(("function-", "tagged-union")) or part == "[key]"
        ):
            continue
        members = _non_none(current) if current is not None else []
        if len(members) > 1:  # pydantic names the union member it tried
            current = next((m for m in members if _label(m) == part), None)
            tagged = True
            continue
        clean.append(part)
        current = _step(current, part) if current is not None else None
    return tuple(clean), tagged, current


def _model_keys(model: Any) -> list[str]:
    members = _non_none(model) if model is not None else []
    current = members[0] if len(members) == 1 else None
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _literal_choices(annotation: Any) -> list[Any]:
    for member in _non_none(annotation):
        if typing.get_origin(member) is Literal:
            return list(typing.get_args(member))
    return []


def _type_advice(value: Any, expected: list[str], annotation: Any) -> str:
    if value is None:
        return "give a value or remove the key"
    if "a string" in expected and isinstance(value, bool | int | float | _dt.date):
        return "put it in quotes"
    inner = _non_none(annotation)
    if inner == [FieldSpec] and isinstance(value, str) and value in typing.get_args(FieldType):
        return f"write {{type: {value}}}"
    if (
        isinstance(value, dict)
        and expected == ["a list"]
        and typing.get_args(inner[0]) == (MappingEntry,)
    ):
        return "write one '- {target: ..., source: ...}' item per entry"
    if len(expected) == 1 and expected[0] in ("true or false", "a whole number", "a number"):
        return f"write {expected[0]}"
    return "change the value"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(err: dict[str, Any], where: str, annotation: Any, parent: Any) -> list[str]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        allowed = sorted(_model_keys(parent))
        listed = f"allowed keys: {', '.join(allowed)}" if allowed else "remove it"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return [f"{where}: unknown key; did you mean {close[0]!r}? ({listed})"]
        return [f"{where}: unknown key; {listed}"]
    if kind == "missing":
        choices = _literal_choices(annotation)
        extra = f" (one of: {', '.join(map(str, choices))})" if choices else ""
        return [f"{where}: required key is missing; add it{extra}"]
    if kind == "literal_error":
        names = [str(c) for c in _literal_choices(annotation)]
        allowed_txt = ctx.get("expected", "")
        close = (
            difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
            if isinstance(value, str)
            else []
        )
        did = f" (did you mean {close[0]!r}?)" if close else ""
        return [f"{where}: {value!r} is not allowed; use one of {allowed_txt}{did}"]
    if kind == "value_error":
        error = ctx.get("error")
        if isinstance(error, _Problems):
            return [f"{_join(where, at)}: {message}" for at, message in error.items]
        return [f"{where}: {error if error is not None else err['msg']}"]
    if kind in _EXPECTED and value is None:
        return [f"{where}: is empty; give {_EXPECTED[kind]} or remove the key"]
    if kind in _EXPECTED:
        expected = [_EXPECTED[kind]]
        return [
            f"{where}: expected {expected[0]}, got {_yaml_kind(value)} {_shown(value)}; {_type_advice(value, expected, annotation)}"
        ]
    if kind in ("greater_than_equal", "greater_than"):
        bound = _number(ctx.get("ge", ctx.get("gt")))
        return [f"{where}: {value!r} is below the minimum {bound}; use {bound} or more"]
    if kind in ("less_than_equal", "less_than"):
        bound = _number(ctx.get("le", ctx.get("lt")))
        return [f"{where}: {value!r} is above the maximum {bound}; use {bound} or less"]
    if kind == "string_too_short":
        return [f"{where}: is empty; give a value"]
    if kind == "string_too_long":
        if ctx.get("max_length") == 1:
            return [
                f'{where}: {value!r} must be a single character; for a tab write "\\t" in double quotes'
            ]
        return [f"{where}: {value!r} is longer than {ctx.get('max_length')} characters; shorten it"]
    if kind == "string_pattern_mismatch":
        return [
            f"{where}: {value!r} is not allowed; use letters, digits, '_', '.' and '-', starting with a letter"
        ]
    return [f"{where}: {err['msg'].lower()} (got {_shown(value)}); change the value"]


def _pydantic_problems(
    path: Path, exc: ValidationError, model: type[BaseModel], skip: set[str] | None = None
) -> list[str]:
    """One line per problem; the type errors pydantic reports per union member become one line."""
    skip = skip or set()
    lines: list[str] = []
    unions: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    order: list[tuple[str, Any]] = []
    for details in exc.errors(include_url=False):
        err: dict[str, Any] = dict(details)
        clean, tagged, annotation = _clean(model, tuple(err["loc"]))
        if tagged and err["type"] in _EXPECTED:
            if clean not in unions:
                unions[clean] = []
                order.append(("union", clean))
            unions[clean].append(err)
        else:
            order.append(("one", (clean, err, annotation)))
    for kind, item in order:
        if kind == "union":
            clean = item
            errs = unions[clean]
            where = _loc(clean)
            if where in skip or any(
                where.startswith(s + ".") or where.startswith(s + "[") for s in skip
            ):
                continue
            expected = list(dict.fromkeys(_EXPECTED[e["type"]] for e in errs))
            if "a number" in expected and "a whole number" in expected:
                expected.remove("a whole number")
            words = ", ".join(expected[:-1]) + (" or " if len(expected) > 1 else "") + expected[-1]
            words = words.replace("true or false", "true/false") if len(expected) > 1 else words
            value = errs[0].get("input")
            if value is None:
                lines.append(f"{path}: {where}: is empty; give {words} or remove the key")
                continue
            annotation = _clean(model, clean)[2]
            advice = _type_advice(value, expected, annotation)
            lines.append(
                f"{path}: {where}: expected {words}, got {_yaml_kind(value)} {_shown(value)}; {advice}"
            )
        else:
            clean, err, annotation = item
            where = _loc(clean)
            if where in skip:
                continue
            parent = _clean(model, clean[:-1])[2] if clean else model
            lines.extend(f"{path}: {line}" for line in _one_line(err, where, annotation, parent))
    return list(dict.fromkeys(lines))


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse(path: Path, model: type[BaseModel], problems: list[str]) -> Any:
    failed: set[str] = set()
    data = _read_yaml(path, problems, model, failed)
    if data is None:
        return None
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(path, exc, model, failed))
        return None
    return None if failed else parsed


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: ``--config``, else ``$LAKEPORT_CONFIG``, else ``conf/lakeport.yaml``."""
    return Path(explicit or os.environ.get("LAKEPORT_CONFIG") or DEFAULT_CONFIG)


def load_schema(path: Path, problems: list[str]) -> SchemaSpec | None:
    """Parse and validate one schema file, appending problems instead of raising."""
    return _parse(path, SchemaSpec, problems)


def load_mapping(path: Path, problems: list[str]) -> MappingSpec | None:
    """Parse and validate one mapping file, appending problems instead of raising."""
    return _parse(path, MappingSpec, problems)


def _missing_file(
    cfg_path: Path, key: str, kind: str, file: Path, name: str, defaulted: bool
) -> str:
    others = sorted(p.stem for p in file.parent.glob("*.yaml"))
    close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
    because = " (a dataset without 'schema' uses its own name)" if defaulted else ""
    if close:
        advice = f"did you mean {close[0]!r}? (or create the file)"
    elif others:
        advice = f"create it, or name an existing one ({', '.join(others)})"
    else:
        advice = "create it"
    return f"{cfg_path}: {key}: {kind} file {file} does not exist{because}; {advice}"


def load_config(
    path: str | os.PathLike[str] | None = None, *, lake_root: str | None = None
) -> Config:
    """Load ``conf/lakeport.yaml`` and every schema and mapping it names; validate all of it.

    Args:
        path: the config file (default: ``$LAKEPORT_CONFIG`` or ``conf/lakeport.yaml``).
        lake_root: overrides ``lake.root`` (the CLI's ``--lake``; also ``$LAKEPORT_LAKE``).

    Returns:
        The resolved Config.

    Raises:
        ConfigError: with one line per problem, each naming the file and key.

    Example:
        >>> cfg = load_config("conf/lakeport.yaml", lake_root="/tmp/lake")
    """
    cfg_path = config_path(path)
    problems: list[str] = []
    top: LakeportFile | None = _parse(cfg_path, LakeportFile, problems)
    if top is None:
        raise ConfigError(problems)
    conf_dir = cfg_path.parent
    schemas_dir = conf_dir.parent / "schemas"
    mappings_dir = conf_dir / "mappings"
    datasets: dict[str, Dataset] = {}
    # Imported here: the mapping checker compiles expressions and needs the function table.
    from jobs.transforms.mapping import check_mapping

    for name, ds in top.datasets.items():
        if ds.format == "aam":
            from jobs.storage.aam import traits_schema

            datasets[name] = Dataset(
                name, ds, traits_schema(), MappingSpec(auto=True), cfg_path, None
            )
            continue
        schema_name = ds.schema_name or name
        schema_file = schemas_dir / f"{schema_name}.yaml"
        schema: SchemaSpec | None = None
        if schema_file.is_file():
            schema = load_schema(schema_file, problems)
        else:
            problems.append(
                _missing_file(
                    cfg_path,
                    f"datasets.{name}.schema",
                    "schema",
                    schema_file,
                    schema_name,
                    ds.schema_name is None,
                )
            )
        mapping_file = mappings_dir / f"{ds.mapping}.yaml" if ds.mapping else None
        mapping: MappingSpec | None = MappingSpec(auto=True)
        if mapping_file is not None:
            if mapping_file.is_file():
                mapping = load_mapping(mapping_file, problems)
            else:
                problems.append(
                    _missing_file(
                        cfg_path,
                        f"datasets.{name}.mapping",
                        "mapping",
                        mapping_file,
                        str(ds.mapping),
                        False,
                    )
                )
                mapping = None
        if schema is None or mapping is None:
            continue
        if mapping.schema_ is not None and mapping.schema_ != schema_name:
            problems.append(
                f"{mapping_file}: schema: the mapping is for schema {mapping.schema_!r} but dataset {name!r} "
                f"uses schema {schema_name!r}; fix 'schema:' here, or point datasets.{name}.mapping "
                f"in {cfg_path} at a mapping for {schema_name!r}"
            )
        else:
            problems.extend(
                check_mapping(mapping, schema, str(mapping_file or f"{cfg_path}: datasets.{name}"))
            )
        if ds.last_updated is not None:
            spec = schema.leaf(ds.last_updated)
            if spec is None or spec.type != "datetime":
                what = "is not a field" if spec is None else f"is a {spec.type}"
                problems.append(
                    f"{cfg_path}: datasets.{name}.last_updated: {ds.last_updated!r} {what} of schema "
                    f"{schema_name!r}; name a datetime field (dot path), or remove it to order "
                    "fragments by ingestion time"
                )
            elif schema.class_ != "profile":
                problems.append(
                    f"{cfg_path}: datasets.{name}.last_updated: only profile datasets are merged; "
                    "remove it"
                )
        datasets[name] = Dataset(name, ds, schema, mapping, schema_file, mapping_file)
    problems.extend(_profile_problems(cfg_path, top.profiles, datasets, set(top.datasets)))
    problems.extend(_source_problems(cfg_path, top))
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    root = lake_root or os.environ.get("LAKEPORT_LAKE") or top.lake.root
    return Config(
        path=cfg_path,
        lake_root=root,
        spark=top.spark,
        datasets=datasets,
        events=top.events,
        profiles=top.profiles,
        sources=dict(top.sources),
    )


def _source_problems(cfg_path: Path, top: LakeportFile) -> list[str]:
    """Sources name a configured dataset, a format the readers know, and options of that format."""
    problems: list[str] = []
    formats = list(typing.get_args(DatasetConfig.model_fields["format"].annotation))
    for name, src in top.sources.items():
        at = f"{cfg_path}: sources.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(
                f"{at}: a source name must be lower-case letters, digits and '_', starting with a "
                "letter (it is part of batch ids and paths); rename it"
            )
        ds = top.datasets.get(src.dataset)
        if ds is None:
            hint = _suggest(src.dataset, top.datasets) or (
                f"; use one of: {', '.join(top.datasets) or '(none configured)'}"
            )
            problems.append(f"{at}.dataset: no dataset named {src.dataset!r}{hint}")
        if src.format is not None and src.format not in formats:
            problems.append(
                f"{at}.format: {src.format!r} is not a format; use one of: {', '.join(formats)}"
            )
            continue
        fmt = src.format or (ds.format if ds is not None else None)
        if fmt is None or src.options is None:
            continue
        allowed = _FORMAT_OPTIONS.get(fmt, set())
        for key in ReaderOptions.model_fields:
            if key in src.options.model_fields_set and key not in allowed:
                takes = (
                    f"{fmt} takes {', '.join(sorted(allowed))}"
                    if allowed
                    else f"{fmt} takes no options"
                )
                problems.append(
                    f"{at}.options.{key}: does not apply to format {fmt}; remove it ({takes})"
                )
    return problems


def _profile_problems(
    cfg_path: Path,
    profiles: ProfilesSettings,
    datasets: dict[str, Dataset],
    configured: set[str],
) -> list[str]:
    """Cross-file checks: precedence lists name profile datasets; shared attribute paths agree."""
    problems: list[str] = []
    profile_sets = [n for n, d in datasets.items() if d.schema_spec.class_ == "profile"]
    for policy, merge in profiles.policies.items():
        for i, name in enumerate(merge.datasets or []):
            if name in profile_sets or (name in configured and name not in datasets):
                continue  # fine, or its schema failed to load (reported already)
            at = f"{cfg_path}: profiles.policies.{policy}.datasets[{i}]"
            if name in datasets:
                problems.append(
                    f"{at}: {name!r} is a {datasets[name].schema_spec.class_} dataset; only profile "
                    f"datasets are merged ({', '.join(profile_sets) or 'none configured'})"
                )
            else:
                hint = _suggest(name, profile_sets) or (
                    f"; use one of: {', '.join(profile_sets) or '(no profile datasets configured)'}"
                )
                problems.append(f"{at}: no dataset named {name!r}{hint}")
    seen: dict[str, tuple[str, str]] = {}
    for name in profile_sets:
        schema = datasets[name].schema_spec
        for path, spec in iter_leaves(schema.fields):
            kind = _type_signature(spec)
            if path in seen and seen[path][1] != kind:
                other, other_kind = seen[path]
                problems.append(
                    f"{datasets[name].schema_file}: fields.{path}: is {kind} here but {other_kind} in "
                    f"{datasets[other].schema_file}; profiles merge attributes by path, so give both the "
                    "same type or rename one"
                )
            seen.setdefault(path, (name, kind))
    return problems


def _type_signature(spec: FieldSpec) -> str:
    """A field's type as text, including element types (array<string>, map<string,long>)."""
    if spec.type == "array" and spec.items is not None:
        return f"array<{_type_signature(spec.items)}>"
    if spec.type == "map" and spec.values is not None:
        return f"map<string,{_type_signature(spec.values)}>"
    if spec.type == "object" and spec.fields:
        inner = ",".join(f"{k}:{_type_signature(v)}" for k, v in spec.fields.items())
        return f"object<{inner}>"
    return spec.type


def validate_tree(path: str | os.PathLike[str] | None = None) -> list[str]:
    """Every problem in the config, every schema in ``schemas/`` and every mapping in ``conf/mappings/``.

    Files that lakeport.yaml does not name are checked too (a mapping against the schema its
    ``schema:`` key names), so a broken file never waits for the day someone points a dataset at it.

    Example:
        >>> validate_tree("conf/lakeport.yaml")
        []
    """
    cfg_path = config_path(path)
    problems: list[str] = []
    try:
        load_config(cfg_path)
    except ConfigError as exc:
        problems.extend(exc.problems)
    from jobs.transforms.mapping import check_mapping

    # Mappings that a dataset names were checked against that dataset's schema by load_config.
    top: LakeportFile | None = _parse(cfg_path, LakeportFile, [])
    mappings_dir = cfg_path.parent / "mappings"
    named = {
        mappings_dir / f"{ds.mapping}.yaml"
        for ds in (top.datasets.values() if top else ())
        if ds.mapping
    }
    extra: list[str] = []
    schemas_dir = cfg_path.parent.parent / "schemas"
    schemas: dict[str, SchemaSpec | None] = {}
    for schema_file in sorted(schemas_dir.glob("*.yaml")):
        schemas[schema_file.stem] = load_schema(schema_file, extra)
    for mapping_file in sorted(mappings_dir.glob("*.yaml")):
        mapping = load_mapping(mapping_file, extra)
        if mapping is None or mapping.schema_ is None or mapping_file in named:
            continue
        if mapping.schema_ not in schemas:
            hint = (
                _suggest(mapping.schema_, schemas)
                or f"; use one of: {', '.join(schemas) or '(none)'}"
            )
            extra.append(
                f"{mapping_file}: schema: no schema file {schemas_dir / (mapping.schema_ + '.yaml')}{hint}"
            )
            continue
        target = schemas[mapping.schema_]
        if target is not None:
            extra.extend(check_mapping(mapping, target, str(mapping_file)))
    seen = set(problems)
    problems.extend(p for p in dict.fromkeys(extra) if p not in seen)
    return problems
