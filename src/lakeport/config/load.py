"""Load ``conf/lakeport.yaml`` and every schema and mapping it names, and check them together.

Everything is parsed with ``yaml.safe_load`` (duplicate keys are errors), ``${ENV_VAR}`` and
``${ENV_VAR:-default}`` references are expanded, and the result is validated by strict, frozen
pydantic models *before* Spark starts, then across files (mappings against schemas, policies
against datasets, sources against datasets). Every problem is one line:
``file: key.path: what is wrong; what to do``.

Example:
    >>> cfg = load_config("conf/lakeport.yaml")          # raises ConfigError listing every problem
    >>> cfg.datasets["loyalty"].schema_spec.class_  # doctest: +SKIP
    'profile'
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from pathlib import Path

from lakeport.config.inlet import inlet_problems
from lakeport.config.mapping_check import check_mapping
from lakeport.config.model import Config, Dataset
from lakeport.errors import ConfigError
from lakeport.spec.base import suggest
from lakeport.spec.mapping import MappingSpec
from lakeport.spec.messages import redact
from lakeport.spec.profiles import ProfilesSettings
from lakeport.spec.reading import parse_file
from lakeport.spec.schema import FieldSpec, SchemaSpec, iter_leaves
from lakeport.spec.settings import FORMAT_OPTIONS, DatasetConfig, LakeportFile, ReaderOptions
from lakeport.spec.traits import traits_schema

DEFAULT_CONFIG = "conf/lakeport.yaml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: ``--config``, else ``$LAKEPORT_CONFIG``, else ``conf/lakeport.yaml``."""
    return Path(explicit or os.environ.get("LAKEPORT_CONFIG") or DEFAULT_CONFIG)


def load_schema(
    path: Path, problems: list[str], secrets: dict[str, str] | None = None
) -> SchemaSpec | None:
    """Parse and validate one schema file, appending problems instead of raising."""
    return parse_file(path, SchemaSpec, problems, secrets)


def load_mapping(
    path: Path, problems: list[str], secrets: dict[str, str] | None = None
) -> MappingSpec | None:
    """Parse and validate one mapping file, appending problems instead of raising."""
    return parse_file(path, MappingSpec, problems, secrets)


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
    secrets: dict[str, str] = {}  # environment values -> ${NAME}: no line or log shows them
    top: LakeportFile | None = parse_file(cfg_path, LakeportFile, problems, secrets)
    if top is None:
        raise ConfigError(problems)
    conf_dir = cfg_path.parent
    schemas_dir = conf_dir.parent / "schemas"
    mappings_dir = conf_dir / "mappings"
    datasets: dict[str, Dataset] = {}
    for name, ds in top.datasets.items():
        if ds.format == "aam":
            datasets[name] = Dataset.of(
                name, ds, traits_schema(), MappingSpec(auto=True), cfg_path, None
            )
            continue
        schema_name = ds.schema_name or name
        schema_file = schemas_dir / f"{schema_name}.yaml"
        schema: SchemaSpec | None = None
        if schema_file.is_file():
            schema = load_schema(schema_file, problems, secrets)
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
                mapping = load_mapping(mapping_file, problems, secrets)
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
        if ds.dedupe and schema.class_ != "event":
            problems.append(
                f"{cfg_path}: datasets.{name}.dedupe: only event datasets are deduplicated (on "
                f"their _id); schema {schema_name!r} is class {schema.class_}; remove it"
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
        datasets[name] = Dataset.of(name, ds, schema, mapping, schema_file, mapping_file)
    problems.extend(_profile_problems(cfg_path, top.profiles, datasets, set(top.datasets)))
    problems.extend(_source_problems(cfg_path, top))
    problems.extend(inlet_problems(cfg_path, top, secrets))
    if problems:
        raise ConfigError(list(dict.fromkeys(redact(p, secrets) for p in problems)))
    root = lake_root or os.environ.get("LAKEPORT_LAKE") or top.lake.root
    return Config(
        path=cfg_path,
        lake_root=root,
        spark=top.spark,
        datasets=datasets,
        events=top.events,
        profiles=top.profiles,
        sources=dict(top.sources),
        inlet=top.inlet,
        secrets=secrets,
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
            hint = suggest(src.dataset, top.datasets) or (
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
        allowed = FORMAT_OPTIONS.get(fmt, set())
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
                hint = suggest(name, profile_sets) or (
                    f"; use one of: {', '.join(profile_sets) or '(no profile datasets configured)'}"
                )
                problems.append(f"{at}: no dataset named {name!r}{hint}")
    declared = sorted(
        {s.namespace for d in datasets.values() for _, s in d.schema_spec.identities()}
    )
    rules = profiles.identity_rules
    named = [(f"namespaces.{ns}", ns) for ns in rules.namespaces]
    named += [(f"priority[{i}]", ns) for i, ns in enumerate(rules.priority)]
    for key, ns in named:
        if configured <= set(datasets) and ns not in declared:  # else a schema failed
            hint = suggest(ns, declared) or f"; use one of: {', '.join(declared) or '(none)'}"
            problems.append(
                f"{cfg_path}: profiles.identity_rules.{key}: no schema declares identity "
                f"namespace {ns!r}{hint}"
            )
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
