"""``conf/mappings/<feed>.yaml``: how one source feed maps onto a dataset schema.

Example:
    >>> MappingSpec.model_validate({"auto": True, "fields": [{"target": "sku", "source": "SKU"}]}).auto
    True
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakeport.spec.base import Problems, Strict
from lakeport.spec.patterns import datetime_pattern_problem, zone_problem


class MappingEntry(Strict):
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
            raise Problems(problems)
        return self

    def formats(self) -> list[str]:
        if self.format is None:
            return []
        return [self.format] if isinstance(self.format, str) else list(self.format)


class MappingSpec(Strict):
    """A source feed's mapping onto a dataset schema."""

    schema_: str | None = Field(default=None, alias="schema")
    description: str | None = None
    auto: bool = False
    timezone: str = "UTC"
    fields: list[MappingEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)


def check_zone(value: str) -> str:
    problem = zone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def normalise(name: str) -> str:
    """Name as auto-mapping compares it: case-folded letters and digits only.

    Spaces, ``_``, ``-``, dots, other punctuation and a byte-order mark are dropped, so
    ``"In-Stock"``, ``"in_stock"`` and ``"IN STOCK"`` all compare equal.

    Example:
        >>> normalise("Product Name")
        'productname'
    """
    return "".join(ch for ch in name if ch.isalnum()).casefold()
