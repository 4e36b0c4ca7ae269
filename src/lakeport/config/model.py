"""The resolved configuration: lakeport.yaml with every schema and mapping it names, loaded.

Example:
    >>> cfg = load_config("conf/lakeport.yaml")  # doctest: +SKIP
    >>> cfg.dataset("loyalty").schema_spec.class_  # doctest: +SKIP
    'profile'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from lakeport.errors import ConfigError
from lakeport.expr import Expression
from lakeport.expr import parse as parse_expression
from lakeport.spec.base import suggest
from lakeport.spec.inlet import InletSettings
from lakeport.spec.mapping import MappingEntry, MappingSpec
from lakeport.spec.messages import redact as _redact
from lakeport.spec.profiles import ProfilesSettings
from lakeport.spec.schema import SchemaSpec
from lakeport.spec.settings import DatasetConfig, EventSettings, SourceConfig, SparkSettings


@dataclass(frozen=True)
class Entry:
    """One mapping entry as the pipeline uses it: the expression is parsed once, at load.

    Exactly one of ``source``, ``value`` and ``expression`` is set.
    """

    target: str
    source: str | None = None
    value: str | int | float | bool | None = None
    expression: Expression | None = None
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    unit: str | None = None

    @classmethod
    def of(cls, spec: MappingEntry) -> Entry:
        return cls(
            target=spec.target,
            source=spec.source,
            value=spec.value,
            expression=parse_expression(spec.expression) if spec.expression is not None else None,
            formats=tuple(spec.formats()),
            timezone=spec.timezone,
            unit=spec.unit,
        )

    @property
    def reads(self) -> tuple[str, ...]:
        """The source paths this entry reads."""
        if self.source is not None:
            return (self.source,)
        return self.expression.reads if self.expression is not None else ()


@dataclass(frozen=True)
class Dataset:
    """A dataset with its schema and mapping loaded."""

    name: str
    config: DatasetConfig
    schema_spec: SchemaSpec
    mapping: MappingSpec
    schema_file: Path
    mapping_file: Path | None
    entries: tuple[Entry, ...] = ()

    @property
    def dedupes_events(self) -> bool:
        """Events are deduplicated on ``_id`` (default on for ``class: event``; ``dedupe: false``)."""
        return self.schema_spec.class_ == "event" and self.config.dedupe is not False

    @classmethod
    def of(
        cls,
        name: str,
        config: DatasetConfig,
        schema: SchemaSpec,
        mapping: MappingSpec,
        schema_file: Path,
        mapping_file: Path | None,
    ) -> Dataset:
        entries = tuple(Entry.of(e) for e in mapping.fields)
        return cls(name, config, schema, mapping, schema_file, mapping_file, entries)


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
    inlet: InletSettings = field(default_factory=InletSettings)
    # each value that came from the environment through ${NAME} in the YAML -> "${NAME}"
    secrets: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def redact(self, text: str) -> str:
        """``text`` with each environment value of the config shown as its ``${NAME}``.

        Example:
            >>> Config(Path("c.yaml"), "./lake", None, secrets={"s3cret-1": "${TOKEN}"}).redact(  # type: ignore[arg-type]
            ...     "POST https://h/s3cret-1"
            ... )
            'POST https://h/${TOKEN}'
        """
        return _redact(text, self.secrets)

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return self.redact(f"Config({shown})")

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name``; a ConfigError with a suggestion when there is none.

        Example:
            >>> cfg.dataset("loyalty").schema_spec.name  # doctest: +SKIP
            'loyalty'
        """
        if name not in self.datasets:
            hint = (
                suggest(name, self.datasets)
                or f"; use one of: {', '.join(self.datasets) or '(none configured)'}"
            )
            raise ConfigError([f"{self.path}: datasets: no dataset named {name!r}{hint}"])
        return self.datasets[name]

    def with_lake(self, root: str) -> Config:
        """The same config on another lake root."""
        return replace(self, lake_root=root)
