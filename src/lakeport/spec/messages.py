"""pydantic's validation errors as one line each: ``file: key.path: what is wrong; what to do``."""

from __future__ import annotations

import datetime as _dt
import difflib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from lakeport.spec.base import Problems, model_keys, non_none, yaml_kind
from lakeport.spec.mapping import MappingEntry
from lakeport.spec.schema import FieldSpec, FieldType

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _join(base: str, at: str) -> str:
    if not at:
        return base
    if base == "(top level)":
        return at
    return base + at if at.startswith("[") else f"{base}.{at}"


def _label(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _step(annotation: Any, part: Any) -> Any:
    """The annotation one key below ``annotation`` (a model field, a dict value or a list item)."""
    members = non_none(annotation)
    if len(members) != 1:
        return None
    current = members[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        for name, info in current.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(current)
    if origin is dict:
        return typing.get_args(current)[1]
    if origin is list:
        return typing.get_args(current)[0]
    return None


def _clean(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool, Any]:
    """(the loc without union-member tags, whether it had one, the annotation at the loc)."""
    clean: list[Any] = []
    current: Any = model
    tagged = False
    for part in loc:
        if isinstance(part, str) and (
            part.startswith(("function-", "tagged-union")) or part == "[key]"
        ):
            continue
        members = non_none(current) if current is not None else []
        if len(members) > 1:  # pydantic names the union member it tried
            current = next((m for m in members if _label(m) == part), None)
            tagged = True
            continue
        clean.append(part)
        current = _step(current, part) if current is not None else None
    return tuple(clean), tagged, current


def _literal_choices(annotation: Any) -> list[Any]:
    for member in non_none(annotation):
        if typing.get_origin(member) is Literal:
            return list(typing.get_args(member))
    return []


def _type_advice(value: Any, expected: list[str], annotation: Any) -> str:
    if value is None:
        return "give a value or remove the key"
    if "a string" in expected and isinstance(value, bool | int | float | _dt.date):
        return "put it in quotes"
    inner = non_none(annotation)
    if inner == [FieldSpec] and isinstance(value, str) and value in typing.get_args(FieldType):
        return f"write {{type: {value}}}"
    if (
        isinstance(value, dict)
        and expected == ["a list"]
        and typing.get_args(inner[0]) == (MappingEntry,)
    ):
        return "write one '- {target: ..., source: ...}' item per entry"
    if len(expected) == 1 and expected[0] in ("true or false", "a whole number", "a number"):
        return f"write {expected[0]}"
    return "change the value"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with each value that came from the environment replaced by its ``${NAME}``.

    A value of 6 characters or more is replaced wherever it occurs, also as ``repr`` escapes it; a
    shorter one only where the text quotes it (``'k9'``), so that ``4`` does not rewrite line numbers.

    Example:
        >>> redact("got 'tok-123456' and 'k9' on line 9", {"tok-123456": "${T}", "k9": "${K}"})
        "got '${T}' and '${K}' on line 9"
    """
    for value, ref in sorted(secrets.items(), key=lambda item: -len(item[0])):
        inner = repr(value)[1:-1]
        forms = dict.fromkeys([value, inner, inner.replace("'", "\\'")])
        for form in forms:
            if len(value) >= 6:
                text = text.replace(form, ref)
            else:
                for quote in "'\"":
                    text = text.replace(f"{quote}{form}{quote}", f"{quote}{ref}{quote}")
    return text


def _redacted(value: Any, secrets: Mapping[str, str]) -> Any:
    """A value as messages may show it: strings (also inside lists and maps) redacted."""
    if isinstance(value, str):
        return secrets.get(value) or redact(value, secrets)
    if isinstance(value, list):
        return [_redacted(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v, secrets) for k, v in value.items()}
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(err: dict[str, Any], where: str, annotation: Any, parent: Any) -> list[str]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        allowed = sorted(model_keys(parent))
        listed = f"allowed keys: {', '.join(allowed)}" if allowed else "remove it"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return [f"{where}: unknown key; did you mean {close[0]!r}? ({listed})"]
        return [f"{where}: unknown key; {listed}"]
    if kind == "missing":
        choices = _literal_choices(annotation)
        extra = f" (one of: {', '.join(map(str, choices))})" if choices else ""
        return [f"{where}: required key is missing; add it{extra}"]
    if kind == "literal_error":
        names = [str(c) for c in _literal_choices(annotation)]
        allowed_txt = ctx.get("expected", "")
        close = (
            difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
            if isinstance(value, str)
            else []
        )
        did = f" (did you mean {close[0]!r}?)" if close else ""
        return [f"{where}: {value!r} is not allowed; use one of {allowed_txt}{did}"]
    if kind == "value_error":
        error = ctx.get("error")
        if isinstance(error, Problems):
            return [f"{_join(where, at)}: {message}" for at, message in error.items]
        return [f"{where}: {error if error is not None else err['msg']}"]
    if kind in _EXPECTED and value is None:
        return [f"{where}: is empty; give {_EXPECTED[kind]} or remove the key"]
    if kind in _EXPECTED:
        expected = [_EXPECTED[kind]]
        return [
            f"{where}: expected {expected[0]}, got {yaml_kind(value)} {_shown(value)}; {_type_advice(value, expected, annotation)}"
        ]
    if kind in ("greater_than_equal", "greater_than"):
        bound = _number(ctx.get("ge", ctx.get("gt")))
        return [f"{where}: {value!r} is below the minimum {bound}; use {bound} or more"]
    if kind in ("less_than_equal", "less_than"):
        bound = _number(ctx.get("le", ctx.get("lt")))
        return [f"{where}: {value!r} is above the maximum {bound}; use {bound} or less"]
    if kind == "string_too_short":
        return [f"{where}: is empty; give a value"]
    if kind == "string_too_long":
        if ctx.get("max_length") == 1:
            return [
                f'{where}: {value!r} must be a single character; for a tab write "\\t" in double quotes'
            ]
        return [f"{where}: {value!r} is longer than {ctx.get('max_length')} characters; shorten it"]
    if kind == "string_pattern_mismatch":
        return [
            f"{where}: {value!r} is not allowed; use letters, digits, '_', '.' and '-', starting with a letter"
        ]
    return [f"{where}: {err['msg'].lower()} (got {_shown(value)}); change the value"]


def pydantic_problems(
    path: Path,
    exc: ValidationError,
    model: type[BaseModel],
    skip: set[str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> list[str]:
    """One line per problem; the type errors pydantic reports per union member become one line.

    A value too long to show whole is redacted (``secrets``: value -> ``${NAME}``) before it is
    cut, so that no part of an environment value is shown; the caller redacts the whole lines.
    """
    skip = skip or set()
    lines: list[str] = []
    unions: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    order: list[tuple[str, Any]] = []
    for details in exc.errors(include_url=False):
        err: dict[str, Any] = dict(details)
        if secrets and len(repr(err.get("input"))) > 60:  # _shown would cut it
            err["input"] = _redacted(err.get("input"), secrets)
        clean, tagged, annotation = _clean(model, tuple(err["loc"]))
        if tagged and err["type"] in _EXPECTED:
            if clean not in unions:
                unions[clean] = []
                order.append(("union", clean))
            unions[clean].append(err)
        else:
            order.append(("one", (clean, err, annotation)))
    for kind, item in order:
        if kind == "union":
            clean = item
            errs = unions[clean]
            where = _loc(clean)
            if where in skip or any(
                where.startswith(s + ".") or where.startswith(s + "[") for s in skip
            ):
                continue
            expected = list(dict.fromkeys(_EXPECTED[e["type"]] for e in errs))
            if "a number" in expected and "a whole number" in expected:
                expected.remove("a whole number")
            words = ", ".join(expected[:-1]) + (" or " if len(expected) > 1 else "") + expected[-1]
            words = words.replace("true or false", "true/false") if len(expected) > 1 else words
            value = errs[0].get("input")
            if value is None:
                lines.append(f"{path}: {where}: is empty; give {words} or remove the key")
                continue
            annotation = _clean(model, clean)[2]
            advice = _type_advice(value, expected, annotation)
            lines.append(
                f"{path}: {where}: expected {words}, got {yaml_kind(value)} {_shown(value)}; {advice}"
            )
        else:
            clean, err, annotation = item
            where = _loc(clean)
            if where in skip:
                continue
            parent = _clean(model, clean[:-1])[2] if clean else model
            lines.extend(f"{path}: {line}" for line in _one_line(err, where, annotation, parent))
    return list(dict.fromkeys(lines))
