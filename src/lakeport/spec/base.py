"""The base of every YAML model: strict, frozen pydantic models, and problems at key paths.

Example:
    >>> class Lake(Strict):
    ...     root: str = "./lake"
    >>> Lake.model_validate({"rot": "x"})   # unknown keys are errors  # doctest: +SKIP
    Traceback (most recent call last):
    ...
"""

from __future__ import annotations

import datetime as _dt
import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict


class Problems(ValueError):
    """Problems found by a model validator, each at a key path below the model ("" = the model)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in items))
        self.items = items


class Strict(BaseModel):
    """Unknown keys are errors; parsed models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def yaml_kind(value: Any) -> str:
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


def model_keys(model: Any) -> list[str]:
    members = non_none(model) if model is not None else []
    current = members[0] if len(members) == 1 else None
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def non_none(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]
