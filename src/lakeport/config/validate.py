"""``lakeport validate``: every problem in the config and in every YAML file beside it."""

from __future__ import annotations

import os

from lakeport.config.load import config_path, load_config, load_mapping, load_schema
from lakeport.config.mapping_check import check_mapping
from lakeport.errors import ConfigError
from lakeport.spec.base import suggest
from lakeport.spec.messages import redact
from lakeport.spec.reading import parse_file
from lakeport.spec.schema import SchemaSpec
from lakeport.spec.settings import LakeportFile


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
    # Mappings that a dataset names were checked against that dataset's schema by load_config.
    secrets: dict[str, str] = {}  # environment values -> ${NAME}, for the cross-file lines
    top: LakeportFile | None = parse_file(cfg_path, LakeportFile, [], secrets)
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
        schemas[schema_file.stem] = load_schema(schema_file, extra, secrets)
    for mapping_file in sorted(mappings_dir.glob("*.yaml")):
        mapping = load_mapping(mapping_file, extra, secrets)
        if mapping is None or mapping.schema_ is None or mapping_file in named:
            continue
        if mapping.schema_ not in schemas:
            hint = (
                suggest(mapping.schema_, schemas)
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
    problems.extend(p for p in dict.fromkeys(redact(p, secrets) for p in extra) if p not in seen)
    return problems
