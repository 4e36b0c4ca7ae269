"""Validate a mapping against its schema without Spark: targets exist, expressions use known
functions with the right arity, constants and expressions fit the target type, datetime options
sit on datetime fields, required fields are mapped.

Example:
    >>> check_mapping(MappingSpec(fields=[MappingEntry(target="loyaltyid", source="id")]), schema, "m.yaml")  # doctest: +SKIP
    ["m.yaml: fields[0].target: 'loyaltyid' is not a field of schema loyalty; did you mean 'loyaltyId'?", ...]
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from lakeport import expr as ex
from lakeport.spec.mapping import MappingSpec, normalise
from lakeport.spec.patterns import regex_problem
from lakeport.spec.schema import (
    NUMERIC_TYPES,
    PRIMITIVE_TYPES,
    FieldSpec,
    SchemaSpec,
    mappable_targets,
)

_SOURCE_PATH = re.compile(r"^[^.\[\]]+(\[[0-9]+\])?(\.[^.\[\]]+(\[[0-9]+\])?)*$")

# which coarse expression kinds may feed which target types (SEMANTICS.md conversion table)
_KIND_TARGETS = {
    ex.STRING: set(PRIMITIVE_TYPES),
    ex.NUMBER: {*NUMERIC_TYPES, "string", "date", "datetime"},
    ex.BOOLEAN: {"boolean", "string"},
    ex.DATETIME: {"datetime", "date", "string"},
    ex.DATE: {"date", "datetime", "string"},
    ex.ANY: set(PRIMITIVE_TYPES) | {"array", "map"},
}
# the conversion function to suggest when an expression's kind does not fit a target type
_CONVERT_WITH = {
    "string": "to_string()",
    "integer": "to_integer()",
    "long": "to_long()",
    "short": "to_integer()",
    "byte": "to_integer()",
    "double": "to_double()",
    "boolean": "to_boolean()",
    "date": "to_date()",
    "datetime": "to_datetime()",
}


def _constant_kind(value: Any) -> str:
    if isinstance(value, bool):
        return ex.BOOLEAN
    if isinstance(value, int | float):
        return ex.NUMBER
    return ex.STRING


def _unknown_target(target: str, targets: dict[str, FieldSpec], schema_name: str) -> str:
    inside = [p for p in targets if p.startswith(target + ".")]
    if inside:
        shown = ", ".join(inside[:4]) + (", ..." if len(inside) > 4 else "")
        return f"{target!r} is an object in {schema_name}; map its fields one by one ({shown})"
    for path, spec in targets.items():
        if spec.type in ("array", "map") and target.startswith((path + ".", path + "[")):
            whole = "a source list" if spec.type == "array" else "a source object"
            article = "an" if spec.type == "array" else "a"
            return f"{target!r} is inside {path!r}, which is {article} {spec.type}; map {path!r} as a whole from {whole}"
    same = [p for p in targets if normalise(p) == normalise(target)]
    close = same or difflib.get_close_matches(target, list(targets), n=1, cutoff=0.6)
    if close:
        return f"{target!r} is not a field of {schema_name}; did you mean {close[0]!r}?"
    return f"{target!r} is not a field of {schema_name}; fields are: {', '.join(targets)}"


def _clash_advice(kind: str, target_type: str, target: str) -> str:
    """What to write when an expression's kind cannot become the target's type."""
    if target_type not in _CONVERT_WITH:
        return f"map {target!r} from a source instead"
    if kind == ex.BOOLEAN and target_type in NUMERIC_TYPES:
        return "turn the condition into a number with iif(condition, 1, 0)"
    if kind == ex.BOOLEAN:
        example = _CONVERT_WITH[target_type].replace("()", "(...)")
        return f"give an expression that yields a {target_type}, for example {example}"
    if kind in (ex.DATE, ex.DATETIME) and target_type in NUMERIC_TYPES:
        return "wrap it in epoch_millis(), or take year(), month() or day()"
    if target_type == "boolean":
        return "compare it, for example x != 0, or test it with is_null()"
    return f"wrap it in {_CONVERT_WITH[target_type]}"


def _value_problem(value: Any, spec: FieldSpec, target: str) -> str | None:
    kind = _constant_kind(value)
    if spec.type in ("array", "map", "object"):
        return f"a constant cannot fill {target!r} ({spec.type}); map it from a source instead"
    if spec.type not in _KIND_TARGETS[kind]:
        return f"a {kind} constant cannot fill {target!r} ({spec.type}); give a {spec.type} value"
    if spec.enum is not None and value not in spec.enum:
        allowed = ", ".join(str(v) for v in spec.enum)
        return f"{value!r} is not allowed for {target!r} (enum: {allowed}); use one of those or add it to the schema's enum"
    if spec.pattern is not None and isinstance(value, str) and regex_problem(spec.pattern) is None:
        try:
            matched = re.search(spec.pattern, value) is not None
        except re.error:  # Java-only syntax that Python cannot run; Spark checks it per row
            matched = True
        if not matched:
            return f"{value!r} does not match the pattern {spec.pattern} of {target!r}; fix the constant"
    if kind == ex.NUMBER and spec.type in NUMERIC_TYPES:
        if spec.minimum is not None and value < spec.minimum:
            return (
                f"{value!r} is below the minimum {spec.minimum:g} of {target!r}; fix the constant"
            )
        if spec.maximum is not None and value > spec.maximum:
            return (
                f"{value!r} is above the maximum {spec.maximum:g} of {target!r}; fix the constant"
            )
    return None


def check_mapping(mapping: MappingSpec, schema: SchemaSpec, file: str) -> list[str]:
    """Validate a mapping against its schema without Spark; one problem per line.

    Args:
        mapping: the parsed mapping.
        schema: the schema it maps onto.
        file: the mapping file's name, the start of every line.

    Returns:
        ``file: key.path: what is wrong; what to do`` lines; empty when the mapping is valid.

    Example:
        >>> check_mapping(MappingSpec(fields=[MappingEntry(target="loyaltyid", source="id")]), schema, "m.yaml")  # doctest: +SKIP
        ["m.yaml: fields[0].target: 'loyaltyid' is not a field of schema loyalty; did you mean 'loyaltyId'?", ...]
    """
    problems: list[str] = []
    targets = mappable_targets(schema)
    schema_name = f"schema {schema.name}" if schema.name else "the schema"
    seen: dict[str, int] = {}
    for i, entry in enumerate(mapping.fields):
        where = f"{file}: fields[{i}]"
        spec = targets.get(entry.target)
        if spec is None:
            problems.append(
                f"{where}.target: {_unknown_target(entry.target, targets, schema_name)}"
            )
            continue
        if entry.target in seen:
            problems.append(
                f"{where}.target: {entry.target!r} is already set by fields[{seen[entry.target]}]; keep one entry"
            )
        else:
            seen[entry.target] = i
        if spec.type not in ("date", "datetime"):
            for key in ("format", "unit", "timezone"):
                if getattr(entry, key) is not None:
                    problems.append(
                        f"{where}.{key}: applies to date and datetime fields, but {entry.target!r} is {spec.type}; remove it"
                    )
        if entry.source is not None and not _SOURCE_PATH.match(entry.source):
            problems.append(
                f"{where}.source: {entry.source!r} is not a source path; write a name, a.b or items[0].sku"
            )
        if entry.expression is not None:
            parsed = ex.parse(entry.expression)
            problems.extend(f"{where}.expression: {p}" for p in parsed.problems)
            if parsed.valid:
                kind = parsed.kind
                if spec.type not in _KIND_TARGETS[kind]:
                    advice = _clash_advice(kind, spec.type, entry.target)
                    problems.append(
                        f"{where}.expression: gives a {kind} but {entry.target!r} is {spec.type}; {advice}"
                    )
        if entry.value is not None:
            problem = _value_problem(entry.value, spec, entry.target)
            if problem:
                problems.append(f"{where}.value: {problem}")
    if not mapping.auto:
        primary = {p for p, ident in schema.identities() if ident.primary}
        implicit = {"_id", "timestamp"} if schema.class_ == "event" else set()
        for path, spec in targets.items():
            if path in seen:
                continue
            if spec.required:
                why = ""
            elif path in primary:
                why = " (the primary identity)"
            elif path in implicit:
                why = " (every event needs it)"
            else:
                continue
            problems.append(
                f"{file}: fields: required field {path!r}{why} is not mapped; add an entry for it or set auto: true"
            )
    return problems
