"""Spark's ``to_json`` of a struct, for the events of ``profiles get``.

``profile_events`` on Spark orders events by ``timestamp`` and then by their ``to_json`` text
(timestamps as ``yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'`` in UTC, null fields left out) and prints
``json.loads`` of that text. :func:`event_value` builds the same Python object from Arrow values
and :func:`event_text` the same text, so ties on the timestamp are broken the same way. A double
is written as Java's ``Double.toString``; where that could differ from the shortest repr (16 or
more digits) or is not a number, :class:`Unavailable` is raised instead of guessing.

Example:
    >>> java_double(89.5), java_double(1e10), java_double(0.0001), java_double(3.0)
    ('89.5', '1.0E10', '1.0E-4', '3.0')
    >>> event_text({"dataset": "purchases", "n": 1, "tags": ["a", None]})
    '{"dataset":"purchases","n":1,"tags":["a",null]}'
"""

from __future__ import annotations

import math
from datetime import date, timezone
from decimal import Decimal
from typing import Any

from lakeport.readonly.store import Unavailable
from lakeport.readonly.tables import type_name

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def java_double(value: float) -> str:
    """``Double.toString(value)`` for finite values with at most 15 significant digits."""
    if math.isnan(value) or math.isinf(value):
        raise Unavailable("a NaN or infinite double (Spark writes it as a string)")
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    digits, exponent = _shortest(value)
    if len(digits) > 15:
        raise Unavailable("a double whose Java text may not be its shortest repr")
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            text = "0." + "0" * (-point) + digits
        elif point >= len(digits):
            text = digits + "0" * (point - len(digits)) + ".0"
        else:
            text = digits[:point] + "." + digits[point:]
        return sign + text
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{exponent}"


def _shortest(value: float) -> tuple[str, int]:
    """(significant digits, decimal exponent of the first one) of the shortest repr of |value|."""
    _, digits, exp = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exp, int)
    return "".join(map(str, digits)).rstrip("0") or "0", len(digits) + exp - 1


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def event_text(value: Any) -> str:
    """Jackson's text of a value built by :func:`event_value` (no spaces, nulls of lists kept)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{event_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(event_text(v) for v in value) + "]"
    raise Unavailable(f"no JSON text for {type(value).__name__}")


def event_value(t: Any, value: Any) -> Any:
    """``json.loads(to_json(...))`` of one ``to_pylist()`` value of delta-rs type ``t``."""
    if value is None:
        return None
    kind = type_name(t)
    if kind == "struct":
        out = {}
        for f in t.fields:
            v = event_value(f.type, value.get(f.name))
            if v is not None:  # ignoreNullFields: a null field is left out
                out[f.name] = v
        return out
    if kind == "map":
        return {str(k): event_value(t.value_type, v) for k, v in value}
    if kind == "array":
        return [event_value(t.element_type, v) for v in value]
    if kind == "timestamp":
        utc = value.astimezone(timezone.utc)
        if not 1000 <= utc.year <= 9999:
            raise Unavailable("a timestamp outside years 1000-9999")
        return (
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
            f"{utc.second:02d}.{utc.microsecond:06d}Z"
        )
    if kind == "date":
        assert isinstance(value, date)
        if not 1000 <= value.year <= 9999:
            raise Unavailable("a date outside years 1000-9999")
        return value.isoformat()
    if kind == "double":
        if math.isnan(value) or math.isinf(value):
            raise Unavailable("a NaN or infinite double (Spark writes it as a string)")
        return float(value)
    if kind in ("boolean", "long", "integer", "short", "byte", "string"):
        return value
    raise Unavailable(f"no to_json mapping for Delta type {kind}")
