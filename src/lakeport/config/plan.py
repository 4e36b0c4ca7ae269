"""Which origin fills each target for one batch: explicit entries, then auto-mapping by name.

Pure Python: the pipeline resolves the plan against the source fields a batch actually has, and
the readers read exactly the paths the plan needs.

Example:
    >>> plan = resolve_mapping(MappingSpec(auto=True), products, ["SKU", "Product Name"])  # doctest: +SKIP
    >>> plan.auto_mapped  # doctest: +SKIP
    {'sku': 'SKU', 'productName': 'Product Name'}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lakeport.config.model import Entry
from lakeport.spec.mapping import MappingSpec, normalise
from lakeport.spec.schema import SchemaSpec, mappable_targets


@dataclass(frozen=True)
class MappingPlan:
    """Which origin fills each target for one batch, and what was auto-mapped or left out."""

    entries: dict[str, Entry]
    auto_mapped: dict[str, str] = field(default_factory=dict)  # target -> source
    unmapped_sources: list[str] = field(default_factory=list)
    unmapped_targets: list[str] = field(default_factory=list)
    source_paths: list[str] = field(default_factory=list)  # every source path the plan reads

    def summary(self) -> dict[str, Any]:
        return {
            "autoMapped": dict(self.auto_mapped),
            "unmappedSourceFields": list(self.unmapped_sources),
            "unmappedTargetFields": list(self.unmapped_targets),
        }


def _strip_index(path: str) -> str:
    return re.sub(r"\[[0-9]+\]", "", path)


def resolve_mapping(
    mapping: MappingSpec,
    schema: SchemaSpec,
    source_fields: list[str],
    entries: Sequence[Entry] | None = None,
) -> MappingPlan:
    """Pair every target with an origin, given the source leaf paths a batch has.

    Explicit entries win. With ``auto: true`` each remaining target takes the one free source
    field whose normalised path equals the target's (a source that an expression reads is still
    free: ``fullName: concat(first_name, last_name)`` leaves ``first_name`` to ``firstName``); then targets still open take the one free
    top-level source whose normalised name equals their last path segment, unless another open
    target has the same last segment. Two candidates for one target are ambiguous: neither is
    mapped, both are reported as unmapped. Source names compare case-insensitively, as Spark does.

    Example:
        >>> plan = resolve_mapping(MappingSpec(auto=True), products, ["SKU", "Product Name"])  # doctest: +SKIP
        >>> plan.auto_mapped  # doctest: +SKIP
        {'sku': 'SKU', 'productName': 'Product Name'}
    """
    targets = mappable_targets(schema)
    explicit = entries if entries is not None else tuple(Entry.of(e) for e in mapping.fields)
    chosen = {e.target: e for e in explicit}
    used: set[str] = set()  # lower-cased source paths without indexes
    taken: set[str] = set()  # ... of those, the ones no auto-mapping may take
    for e in explicit:
        used.update(_strip_index(p).lower() for p in e.reads)
        if e.expression is None:
            taken.update(_strip_index(p).lower() for p in e.reads)
    auto: dict[str, str] = {}
    if mapping.auto:
        by_path: dict[str, list[str]] = {}
        for src in source_fields:
            by_path.setdefault(normalise(src), []).append(src)

        def take(path: str, key: str) -> None:
            free = [c for c in by_path.get(key, []) if c.lower() not in taken]
            if len(free) == 1:
                auto[path] = free[0]
                used.add(free[0].lower())
                taken.add(free[0].lower())
                chosen[path] = Entry(target=path, source=free[0])

        for path in targets:
            if path not in chosen:
                take(path, normalise(path))
        open_targets = [p for p in targets if p not in chosen and "." in p]
        last = [normalise(p.rsplit(".", 1)[-1]) for p in open_targets]
        for path, key in zip(open_targets, last, strict=True):
            if last.count(key) == 1:
                take(path, key)
        auto = {p: auto[p] for p in targets if p in auto}

    def is_used(src: str) -> bool:
        s = src.lower()
        return s in used or any(u.startswith(s + ".") or s.startswith(u + ".") for u in used)

    unmapped_sources = [s for s in source_fields if not is_used(s)]
    unmapped_targets = [p for p in targets if p not in chosen]
    reads: list[str] = []
    for e in chosen.values():
        reads.extend(e.reads)
    return MappingPlan(chosen, auto, unmapped_sources, unmapped_targets, list(dict.fromkeys(reads)))
