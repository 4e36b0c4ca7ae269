"""``schemas/<name>.yaml``: a dataset's target schema, its fields, types, identities and rules.

Example:
    >>> spec = SchemaSpec.model_validate({"class": "other", "fields": {"sku": {"type": "string"}}})
    >>> [path for path, _ in iter_leaves(spec.fields)]  # doctest: +SKIP
    ['sku']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from lakeport.spec.base import Problems, Strict
from lakeport.spec.patterns import regex_problem

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


class IdentitySpec(Strict):
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


class FieldSpec(Strict):
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
    # a value that does not convert: null it with a warning, or fail the row (None: the dataset's)
    on_invalid: Literal["null", "fail"] | None = None

    @field_validator("on_invalid", mode="before")
    @classmethod
    def _yaml_null(cls, value: Any) -> Any:
        return "null" if value is None else value  # given as an unquoted YAML null

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
        if self.on_invalid is not None and t == "object":
            problems.append(
                (
                    "on_invalid",
                    "applies to fields that hold a value, not to objects; set it on the sub-fields",
                )
            )
        elif self.required and self.on_invalid == "null":
            problems.append(
                (
                    "on_invalid",
                    "a required field always fails the row when its value does not convert; remove on_invalid",
                )
            )
        if problems:
            raise Problems(problems)
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


class SchemaSpec(Strict):
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
            if name is None:  # array items or map values
                if spec.on_invalid is not None:
                    problems.append(
                        (
                            f"{at}.on_invalid",
                            "applies to the whole array or map field, not to its items or values; move it up",
                        )
                    )
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
            raise Problems(problems)
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


def mappable_targets(schema: SchemaSpec) -> dict[str, FieldSpec]:
    """Every path a mapping entry may set: primitive leaves, arrays and maps.

    Example:
        >>> list(mappable_targets(schema))[:3]  # doctest: +SKIP
        ['loyaltyId', 'crmId', 'person.firstName']
    """
    return dict(iter_leaves(schema.fields))
