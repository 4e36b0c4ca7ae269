"""Load and validate lakeport's YAML: ``conf/lakeport.yaml``, ``schemas/*.yaml``, ``conf/mappings/*.yaml``.

Everything is parsed with ``yaml.safe_load``, ``${ENV_VAR}`` references are expanded, and the
result is validated by strict, frozen pydantic models (unknown keys are errors) *before* Spark
starts. Every problem is reported as one line: ``file: key.path: what is wrong; what to do``.

Example:
    >>> cfg = load_config("conf/lakeport.yaml")          # raises ConfigError listing every problem
    >>> cfg.datasets["loyalty"].schema_spec.class_
    'profile'
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jobs.errors import ConfigError

DEFAULT_CONFIG = "conf/lakeport.yaml"
FieldType = Literal[
    "string", "integer", "long", "short", "byte", "double", "boolean", "date", "datetime",
    "object", "array", "map",
]
PRIMITIVE_TYPES = ("string", "integer", "long", "short", "byte", "double", "boolean", "date", "datetime")
NUMERIC_TYPES = ("integer", "long", "short", "byte", "double")
MAX_IDENTITY_LENGTH = 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------------
# schemas/<name>.yaml
# --------------------------------------------------------------------------------------------


class IdentitySpec(_Strict):
    """Marks a field as an identity: a (namespace, value) pair used to stitch profiles."""

    namespace: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    primary: bool = False


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
        if self.type == "object" and not self.fields:
            raise ValueError("an object needs 'fields'; declare its sub-fields or use type 'map'")
        if self.type != "object" and self.fields is not None:
            raise ValueError(f"'fields' is only for type object, not {self.type}")
        if self.type == "array" and self.items is None:
            raise ValueError("an array needs 'items' (for example items: {type: string})")
        if self.type != "array" and self.items is not None:
            raise ValueError(f"'items' is only for type array, not {self.type}")
        if self.values is not None and self.type != "map":
            raise ValueError(f"'values' is only for type map, not {self.type}")
        if self.values is not None and self.values.type not in PRIMITIVE_TYPES:
            raise ValueError("map 'values' must be a primitive type")
        if (self.minimum is not None or self.maximum is not None) and self.type not in NUMERIC_TYPES:
            raise ValueError(f"minimum/maximum apply to numeric types, not {self.type}")
        if self.pattern is not None:
            if self.type != "string":
                raise ValueError(f"'pattern' applies to strings, not {self.type}")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression ({exc})") from exc
        if self.enum is not None and self.type not in PRIMITIVE_TYPES:
            raise ValueError(f"'enum' applies to primitive types, not {self.type}")
        if self.identity is not None and self.type != "string":
            raise ValueError("an identity field must be of type string")
        return self


class SchemaSpec(_Strict):
    """A dataset's target schema: its class and its (nested) fields."""

    name: str | None = None
    class_: Literal["profile", "event", "other"] = Field(alias="class")
    description: str | None = None
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _class_rules(self) -> SchemaSpec:
        leaves = dict(iter_leaves(self.fields))
        for path in leaves:
            if path.split(".")[-1].startswith("_") and path.split(".")[-1] not in ("_id",):
                raise ValueError(f"field '{path}': names starting with '_' are reserved for system columns")
        if self.class_ == "event":
            ts = self.fields.get("timestamp")
            if ts is None or ts.type != "datetime":
                raise ValueError("an event schema needs a top-level 'timestamp' field of type datetime")
            if "_id" not in self.fields or self.fields["_id"].type != "string":
                raise ValueError("an event schema needs a top-level '_id' field of type string")
        if self.class_ == "profile":
            primaries = [p for p, f in leaves.items() if f.identity and f.identity.primary]
            if len(primaries) != 1:
                raise ValueError(
                    "a profile schema needs exactly one primary identity "
                    f"(found {len(primaries)}: {primaries or 'none'}); mark one field "
                    "identity: {namespace: ..., primary: true}"
                )
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


def iter_leaves(fields: Mapping[str, FieldSpec], prefix: str = "") -> Iterator[tuple[str, FieldSpec]]:
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
        given = [k for k in ("source", "value", "expression") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of 'source', 'value' or 'expression' (found {given or 'none'})"
            )
        for fmt in self.formats():
            if "'Z'" in fmt:
                raise ValueError(
                    f"format {fmt!r} quotes 'Z', which discards the UTC designator and reads the "
                    "value in the session time zone; use X (or XXX) instead"
                )
        if self.timezone is not None:
            _check_zone(self.timezone)
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
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as UTC or America/New_York"
        ) from exc
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


_FORMAT_OPTIONS = {
    "json": {"multiline", "encoding"},
    "csv": {"multiline", "header", "delimiter", "quote", "escape", "null_value", "encoding"},
    "parquet": set(),
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
    format: Literal["json", "csv", "parquet"] = "json"
    options: ReaderOptions = Field(default_factory=ReaderOptions)
    schema_evolution: Literal["strict", "add_columns"] = "strict"
    partial_ingestion: PartialIngestion = Field(default_factory=PartialIngestion)
    diagnostics: bool = True
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _options_for_format(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("options"), dict):
            fmt = data.get("format", "json")
            allowed = _FORMAT_OPTIONS.get(fmt, set())
            wrong = sorted(set(data["options"]) - allowed)
            if wrong and fmt in _FORMAT_OPTIONS:
                raise ValueError(
                    f"options {wrong} do not apply to format {fmt}; "
                    f"allowed: {sorted(allowed) or 'none'}"
                )
        return data


class LakeSettings(_Strict):
    root: str = "./lake"


class SparkSettings(_Strict):
    app_name: str = "lakeport"
    master: str = "local[2]"
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)


class LakeportFile(_Strict):
    lake: LakeSettings = Field(default_factory=LakeSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)

    @field_validator("datasets")
    @classmethod
    def _names(cls, value: dict[str, DatasetConfig]) -> dict[str, DatasetConfig]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(
                    f"dataset name {name!r} must be lower-case letters, digits and '_', starting with a letter"
                )
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

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name``; a ConfigError with a suggestion when there is none."""
        if name not in self.datasets:
            raise ConfigError([f"{self.path}: datasets: no dataset named {name!r}{_suggest(name, self.datasets)}"])
        return self.datasets[name]


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(node: Any, where: str, problems: list[str], file: Path) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, f"{where}.{k}" if where else str(k), problems, file) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, f"{where}[{i}]", problems, file) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = os.environ.get(name)
            if value is None:
                if default is not None:
                    return default
                problems.append(
                    f"{file}: {where}: environment variable {name} is not set; export it, "
                    f"or write ${{{name}:-default}} to give a default"
                )
                return ""
            return value

        return _ENV_REF.sub(repl, node)
    return node


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: file not found; create it or fix the path that names it")
        return None
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror}); check its permissions")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{path}: {at}: not valid YAML ({problem}); fix the syntax there")
        return None
    if data is None:
        problems.append(f"{path}: the file is empty; see the README for its shape")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: the top level must be a mapping of keys, not {type(data).__name__}")
        return None
    return _interpolate(data, "", problems, path)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _pydantic_problems(path: Path, exc: ValidationError, model: type[BaseModel]) -> list[str]:
    problems = []
    for err in exc.errors():
        where = _loc(tuple(err["loc"]))
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(err["loc"][-1])
            allowed = _allowed_keys(model, tuple(err["loc"][:-1]))
            hint = _suggest(key, allowed) if allowed else ""
            allowed_txt = f"; allowed keys: {', '.join(sorted(allowed))}" if allowed else ""
            problems.append(f"{path}: {where}: unknown key{hint}{allowed_txt}")
        elif kind == "missing":
            problems.append(f"{path}: {where}: required key is missing; add it")
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(f"{path}: {where}: {err['input']!r} is not allowed; use one of {expected}")
        elif kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            problems.append(f"{path}: {where}: {msg}")
        else:
            problems.append(f"{path}: {where}: {err['msg']} (got {err.get('input')!r})")
    return problems


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Best-effort list of the keys accepted at ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            current = _inner_model(current)
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return []
        if part in fields:
            current = _inner_model(fields[part].annotation)
        else:
            # a dict key (dataset or field name): stay on the dict's value model
            continue
    fields = getattr(current, "model_fields", None)
    if fields is None:
        return []
    return [f.alias or n for n, f in fields.items()]


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse(path: Path, model: type[BaseModel], problems: list[str]) -> Any:
    data = _read_yaml(path, problems)
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(path, exc, model))
        return None


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: ``--config``, else ``$LAKEPORT_CONFIG``, else ``conf/lakeport.yaml``."""
    return Path(explicit or os.environ.get("LAKEPORT_CONFIG") or DEFAULT_CONFIG)


def load_schema(path: Path, problems: list[str]) -> SchemaSpec | None:
    """Parse and validate one schema file, appending problems instead of raising."""
    return _parse(path, SchemaSpec, problems)


def load_mapping(path: Path, problems: list[str]) -> MappingSpec | None:
    """Parse and validate one mapping file, appending problems instead of raising."""
    return _parse(path, MappingSpec, problems)


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
    for name, ds in top.datasets.items():
        schema_file = schemas_dir / f"{ds.schema_name or name}.yaml"
        schema = load_schema(schema_file, problems)
        mapping_file = mappings_dir / f"{ds.mapping}.yaml" if ds.mapping else None
        if mapping_file is not None:
            mapping = load_mapping(mapping_file, problems)
        else:
            mapping = MappingSpec(auto=True)
        if schema is None or mapping is None:
            continue
        if mapping.schema_ is not None and mapping.schema_ != (ds.schema_name or name):
            problems.append(
                f"{mapping_file}: schema: the mapping targets schema {mapping.schema_!r} but dataset "
                f"{name!r} uses {(ds.schema_name or name)!r}; point the dataset at the right mapping"
            )
        # Imported here: the mapping checker compiles expressions and needs the function table.
        from jobs.transforms.mapping import check_mapping

        problems.extend(check_mapping(mapping, schema, str(mapping_file or f"{cfg_path}: datasets.{name}")))
        datasets[name] = Dataset(name, ds, schema, mapping, schema_file, mapping_file)
    if problems:
        raise ConfigError(problems)
    root = lake_root or os.environ.get("LAKEPORT_LAKE") or top.lake.root
    return Config(path=cfg_path, lake_root=root, spark=top.spark, datasets=datasets)


def validate_tree(path: str | os.PathLike[str] | None = None) -> list[str]:
    """Every problem in the config, every schema in ``schemas/`` and every mapping in ``conf/mappings/``.

    Files that lakeport.yaml does not name are checked too, so a broken file never waits for the
    day someone points a dataset at it.
    """
    cfg_path = config_path(path)
    problems: list[str] = []
    try:
        load_config(cfg_path)
    except ConfigError as exc:
        problems.extend(exc.problems)
    seen = set(problems)
    extra: list[str] = []
    for schema_file in sorted((cfg_path.parent.parent / "schemas").glob("*.yaml")):
        load_schema(schema_file, extra)
    for mapping_file in sorted((cfg_path.parent / "mappings").glob("*.yaml")):
        load_mapping(mapping_file, extra)
    problems.extend(p for p in extra if p not in seen)
    return problems
