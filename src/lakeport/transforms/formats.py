"""Which declared ``format`` can read a value, decided from the value's shape before any parse.

A failing ``try_to_timestamp`` costs about 20 times a successful one (java.time throws per row),
so a list of formats is not tried as a coalesce of parses. Each pattern gets a **guard**: a
necessary condition on the text (its length, and the literal characters at the positions the
pattern fixes) that only cheap string functions check. A format's parse runs only where its
guard holds, so a value that matches one format of a list costs one parse, not one per format.

The guard is conservative: it may hold for a value the pattern then fails to parse, never the
other way round. Widths follow Spark's parser (``DateTimeFormatterHelper``: ``y`` becomes ``u``,
``S``-runs read 1 to N digits) and java.time's (a single numeric letter reads 1 to 19 digits, a
text field or a zone any width); a field of uncertain width ends the run of fixed positions.

Example:
    >>> shape_of("dd/MM/yyyy HH:mm")
    Shape(min_len=16, max_len=32, head=((3, '/'), (6, '/')), tail=((3, ':'), (6, ' ')))
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from pyspark.sql import Column
from pyspark.sql import functions as F

_UNBOUNDED = None
_NUMBER = (1, 20)  # a single numeric letter: 1..19 digits (java.time), and a sign


class Shape(NamedTuple):
    """Lengths a pattern can match and literal text at fixed positions (1-based; from the end,
    1 is the last character)."""

    min_len: int
    max_len: int | None
    head: tuple[tuple[int, str], ...]
    tail: tuple[tuple[int, str], ...]


def _width(letter: str, n: int) -> tuple[int, int | None]:
    """(min, max) characters a run of ``n`` pattern letters reads; max None is unbounded."""
    if letter in "yu":
        if n == 2:
            return 2, 2  # reduced two-digit year
        return max(n, 1), 20  # sign and up to 19 digits
    if letter == "S":
        return 1, n  # Spark: N letters parse 1..N fraction digits
    if letter in "dHhKkms":
        return (2, 2) if n == 2 else _NUMBER
    if letter in "ML":
        if n == 2:
            return 2, 2
        return _NUMBER if n == 1 else (1, _UNBOUNDED)  # MMM, MMMM: month names
    if letter == "D":
        return {1: _NUMBER, 2: (2, 3)}.get(n, (3, 3))
    if letter in "Xx":
        return 1, 9  # Z, +HH, +HHmm, +HH:mm, +HH:mm:ss
    return 1, _UNBOUNDED  # text: era, am-pm, zone names and ids, localized offsets


def _tokens(pattern: str) -> list[tuple[int, int | None, str | None]]:
    """(min, max, literal) per token; literal is the fixed text, None for a field."""
    out: list[tuple[int, int | None, str | None]] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            if pattern[i + 1 : i + 2] == "'":
                out.append((1, 1, "'"))
                i += 2
                continue
            j = i + 1
            text = []
            while j < n:
                if pattern[j] == "'":
                    if pattern[j + 1 : j + 2] == "'":
                        text.append("'")
                        j += 2
                        continue
                    break
                text.append(pattern[j])
                j += 1
            out.extend((1, 1, c) for c in text)
            i = j + 1
        elif ch == "[":
            depth, j = 1, i + 1
            while j < n and depth:
                depth += {"[": 1, "]": -1}.get(pattern[j], 0)
                j += 1
            inner = _tokens(pattern[i + 1 : j - 1])
            highs = [t[1] for t in inner]
            most = None if None in highs else sum(h for h in highs if h is not None)
            out.append((0, most, None))  # optional: any of it may be absent
            i = j
        elif ch.isascii() and ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            lo, hi = _width(ch, j - i)
            out.append((lo, hi, None))
            i = j
        else:
            out.append((1, 1, ch))
            i += 1
    return out


def _fixed(tokens: list[tuple[int, int | None, str | None]]) -> tuple[tuple[int, str], ...]:
    """Literal characters at fixed positions until the first token of variable width."""
    pos, out = 1, []
    for lo, hi, literal in tokens:
        if lo != hi:
            break
        if literal is not None and literal.isascii():
            out.append((pos, literal.upper()))
        pos += lo
    return tuple(out)


@functools.lru_cache(maxsize=512)
def shape_of(pattern: str) -> Shape:
    """The :class:`Shape` of a DateTimeFormatter pattern (as Spark parses with it)."""
    tokens = _tokens(pattern)
    lo = sum(t[0] for t in tokens)
    highs = [t[1] for t in tokens]
    hi = None if None in highs else sum(h for h in highs if h is not None)
    head = _fixed(tokens)
    # a fixed-width pattern is covered by its head; otherwise check from the end too
    tail = () if all(t[0] == t[1] for t in tokens) else _fixed(list(reversed(tokens)))
    return Shape(lo, hi, head, tail)


def _at(t: Column, literal: str, pos: Column | int) -> Column:
    """True where ``t`` holds ``literal`` (one character, any case) at the 1-based ``pos``."""
    cases = {literal.upper(), literal.lower()}
    out: Column | None = None
    for c in sorted(cases):
        found = (
            F.locate(c, t, pos)
            if isinstance(pos, int)
            else F.call_function("locate", F.lit(c), t, pos)
        )
        hit = found == pos
        out = hit if out is None else out | hit
    assert out is not None
    return out


def guard(t: Column, pattern: str) -> Column:
    """True where the trimmed text ``t`` may match ``pattern``: false guarantees no match.

    Only lengths and ``locate`` (no regex, no parse, no copy of the text).
    """
    shape = shape_of(pattern)
    n = F.octet_length(t) if pattern.isascii() else F.length(t)
    out = n >= F.lit(shape.min_len)
    if shape.max_len is not None:
        out = out & (n <= F.lit(shape.max_len))
    for pos, literal in shape.head:
        out = out & _at(t, literal, pos)
    if shape.tail:
        chars = F.length(t)
        for back, literal in shape.tail:
            out = out & _at(t, literal, chars - F.lit(back - 1))
    return out
