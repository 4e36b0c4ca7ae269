"""A source's configuration as a run uses it, and the files at its location.

A source (``sources:`` in lakeport.yaml) is a landing location plus a glob, feeding one dataset.
A source with its own format reads with that format (and the default options of it); options
given in the source override the dataset's one by one.

Example:
    >>> src = source_config(cfg, "landing")  # doctest: +SKIP
    >>> [f.path for f in discover(spark, src)]  # doctest: +SKIP
    ['file:/data/landing/a.jsonl', 'file:/data/landing/b.jsonl']
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from lakeport.config import Config
from lakeport.errors import ConfigError
from lakeport.lake import fs
from lakeport.spec.base import suggest
from lakeport.spec.settings import ReaderOptions, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def source_config(cfg: Config, name: str) -> SourceConfig:
    """The source called ``name``.

    Args:
        cfg: the loaded configuration.
        name: the source's name.

    Returns:
        Its ``sources.<name>`` settings.

    Raises:
        ConfigError: no such source; the message suggests a close name or lists the configured
            ones.

    Example:
        >>> source_config(cfg, "landing").dataset  # doctest: +SKIP
        'people'
    """
    if name not in cfg.sources:
        hint = suggest(name, cfg.sources) or (
            "; use one of: "
            f"{', '.join(cfg.sources) or '(none configured: add sources: to lakeport.yaml)'}"
        )
        raise ConfigError([f"{cfg.path}: sources: no source named {name!r}{hint}"])
    return cfg.sources[name]


def effective(cfg: Config, src: SourceConfig) -> tuple[Config, dict[str, Any], dict[str, Any]]:
    """The config the pipeline sees for this source, and its reader-option and partial overrides.

    Both overrides are recorded in the batch row.

    Args:
        cfg: the loaded configuration.
        src: one of its sources.

    Returns:
        ``(config, options, partial)``: the config (its dataset switched to the source's format
        when that differs), the reader options the source sets, its partial-ingestion settings.

    Raises:
        ConfigError: the source's dataset is not configured.

    Example:
        >>> run_cfg, options, partial = effective(cfg, source_config(cfg, "landing"))  # doctest: +SKIP
        >>> options, partial  # doctest: +SKIP
        ({'multiline': True}, {})
    """
    ds = cfg.dataset(src.dataset)
    if src.format is not None and src.format != ds.config.format:
        config = ds.config.model_copy(update={"format": src.format, "options": ReaderOptions()})
        cfg = dataclasses.replace(
            cfg, datasets={**cfg.datasets, ds.name: dataclasses.replace(ds, config=config)}
        )
    options = (
        {k: getattr(src.options, k) for k in src.options.model_fields_set} if src.options else {}
    )
    partial = src.partial_ingestion.model_dump() if src.partial_ingestion else {}
    return cfg, options, partial


def pattern(src: SourceConfig) -> str:
    """The source's glob under its location, e.g. ``s3a://landing/in/*.jsonl``.

    Example:
        >>> pattern(source_config(cfg, "landing"))  # doctest: +SKIP
        '/data/landing/*.jsonl'
    """
    return f"{src.location.rstrip('/')}/{src.glob}"


def discover(spark: SparkSession, src: SourceConfig) -> list[fs.FileInfo]:
    """The files at the source's location that match its glob.

    Names starting with ``.`` or ``_`` are never listed (files still being written).

    Args:
        spark: the session (listing goes through Hadoop's FileSystem).
        src: the source.

    Returns:
        The matching files, sorted by path; empty when nothing matches.

    Example:
        >>> [f.size for f in discover(spark, source_config(cfg, "landing"))]  # doctest: +SKIP
        [120, 64]
    """
    try:
        return fs.list_files(spark, [pattern(src)])
    except FileNotFoundError:
        return []
