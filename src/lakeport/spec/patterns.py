"""Checks of the small languages inside the YAML: Spark datetime patterns, regexes, time zones.

Pure Python, run before Spark starts, so that a bad ``format:`` or ``pattern:`` is a config error
with a suggestion, not a Java stack trace at run time.

Example:
    >>> zone_problem("UTC") is None
    True
"""

from __future__ import annotations

import difflib
import functools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Spark's datetime pattern letters (spark.apache.org/docs/latest/sql-ref-datetime-pattern.html).
_PATTERN_LETTERS = set("GyDMLdahKkHmsSVzOXxZ")
_FORMAT_ONLY_LETTERS = set("EFqQ")  # Spark formats with them but refuses to parse with them
_WEEK_BASED_LETTERS = set("YwWuec")  # rejected by Spark 3+ ("week-based patterns are unsupported")
# How many letters in a row Spark takes (its DateTimeFormatterHelper, then java.time's builder;
# each limit checked against Spark 4.2): letter -> (allowed run lengths, what the letter means).
_RUNS: dict[str, tuple[tuple[int, ...], str]] = {
    "G": ((1, 2, 3, 4), "era"),
    "y": ((1, 2, 3, 4, 5, 6), "year"),
    "D": ((1, 2, 3), "day-of-year"),
    "M": ((1, 2, 3, 4), "month"),
    "L": ((1, 2, 3, 4), "month"),
    "d": ((1, 2), "day-of-month"),
    "Q": ((1, 2, 3, 4), "quarter"),
    "q": ((1, 2, 3, 4), "quarter"),
    "E": ((1, 2, 3, 4), "day-of-week"),
    "F": ((1,), "aligned week of month"),
    "a": ((1,), "am-pm"),
    "h": ((1, 2), "hour"),
    "K": ((1, 2), "hour"),
    "k": ((1, 2), "hour"),
    "H": ((1, 2), "hour"),
    "m": ((1, 2), "minute"),
    "s": ((1, 2), "second"),
    "S": ((1, 2, 3, 4, 5, 6, 7, 8, 9), "fraction of a second"),
    "V": ((2,), "time-zone id"),
    "z": ((1, 2, 3, 4), "time-zone name"),
    "O": ((1, 4), "localized offset"),
    "X": ((1, 2, 3, 4, 5), "offset"),
    "x": ((1, 2, 3, 4, 5), "offset"),
    "Z": ((1, 2, 3, 4, 5), "offset"),
}
_RESERVED = set("#{}")  # java.time reserves them for future use: Spark refuses them unquoted
_HOUR_LETTERS = set("HhKk")
_MONTH_LETTERS = set("ML")


def datetime_pattern_problem(pattern: str, *, parsing: bool = True) -> str | None:
    """What is wrong with a Spark datetime pattern, or None when Spark accepts it.

    Args:
        pattern: a Java DateTimeFormatter-style pattern such as ``yyyy-MM-dd HH:mm:ss``.
        parsing: True for patterns that read strings (``format:``, ``to_datetime``), False for
            ``date_format``, which may also use ``E``, ``F``, ``q`` and ``Q``.

    Example:
        >>> datetime_pattern_problem("YYYY-MM-dd")
        "pattern 'YYYY-MM-dd' uses the week-based letter 'Y', which Spark rejects; use 'y' for the year"
    """
    if not pattern.strip():
        return "the pattern is empty; write one such as yyyy-MM-dd HH:mm:ss"
    if "'Z'" in pattern:
        return (
            f"pattern {pattern!r} quotes 'Z', which discards the UTC designator and reads the "
            "value in the session time zone; use X (or XXX) instead"
        )
    letters = _PATTERN_LETTERS if parsing else _PATTERN_LETTERS | _FORMAT_ONLY_LETTERS
    quoted = False
    runs: list[tuple[str, int]] = []  # unquoted runs of one letter: ("y", 4), ("M", 2), ...
    optional = 0  # open [ optional sections
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if pattern[i + 1 : i + 2] == "'":  # '' is a literal quote, inside or outside quotes
                i += 2
                continue
            quoted = not quoted
        elif quoted:
            pass
        elif ch in _RESERVED:
            return f"pattern {pattern!r} has {ch!r}, which Spark reserves; quote it as text: '{ch}'"
        elif ch in "[]":
            optional += 1 if ch == "[" else -1
            if optional < 0:
                return (
                    f"pattern {pattern!r} closes an optional section with ']' that was never "
                    "opened with '['; add the '[' or quote it as text: ']'"
                )
        elif ch in letters:
            if runs and runs[-1][0] == ch and pattern[i - 1] == ch:
                runs[-1] = (ch, runs[-1][1] + 1)
            else:
                runs.append((ch, 1))
        elif ch.isascii() and ch.isalpha():
            if ch in _WEEK_BASED_LETTERS:
                advice = "use 'y' for the year" if ch == "Y" else "use y, M and d"
                return f"pattern {pattern!r} uses the week-based letter {ch!r}, which Spark rejects; {advice}"
            if ch in _FORMAT_ONLY_LETTERS:
                return (
                    f"pattern {pattern!r} uses {ch!r}, which Spark can format with but not parse; "
                    "remove it (quote it as text if the input carries it)"
                )
            return (
                f"pattern {pattern!r} has the letter {ch!r}, which is not a Spark pattern letter; "
                f"put literal text in single quotes, for example '{ch}'"
            )
        i += 1
    if quoted:
        return f"pattern {pattern!r} has a quote that is never closed; close it with '"
    return _run_problem(pattern, runs) or _date_letter_problem(pattern, {ch for ch, _ in runs})


def _run_problem(pattern: str, runs: list[tuple[str, int]]) -> str | None:
    """A run of one letter longer (or shorter) than Spark takes, e.g. ``GGGGGG``."""
    for ch, n in runs:
        allowed, meaning = _RUNS[ch]
        if n in allowed:
            continue
        lo, hi = allowed[0], allowed[-1]
        if len(allowed) == 1:
            use = f"{lo}"
        elif len(allowed) == 2:
            use = f"{lo} or {hi}"
        else:
            use = f"{lo} to {hi}"
        return (
            f"pattern {pattern!r} has {n} {ch!r} letter{'' if n == 1 else 's'} in a row "
            f"({meaning}), which Spark refuses; use {use} ({ch * hi})"
        )
    return None


def _date_letter_problem(pattern: str, letters: set[str]) -> str | None:
    """``D`` (day-of-year) or ``m`` (minute) where a day of the month or a month is meant.

    ``m`` without an hour and without a month is a month written in lower case; ``D`` next to a
    month (or such an ``m``) and no ``d`` is a day of the month written in upper case. Spark
    parses both without complaint and every date lands on a wrong day (``DD/mm/yyyy`` reads
    ``03/06/1985`` as 1985-01-03 00:06). An ordinal date (``yyyy-DDD``) is left alone.
    """
    minute = "m" in letters and not letters & (_HOUR_LETTERS | _MONTH_LETTERS)
    day_of_year = "D" in letters and "d" not in letters and bool(letters & _MONTH_LETTERS or minute)
    if not (minute or day_of_year):
        return None
    swap = {**({"D": "d"} if day_of_year else {}), **({"m": "M"} if minute else {})}
    fixed, quoted = [], False
    for ch in pattern:
        quoted = not quoted if ch == "'" else quoted
        fixed.append(ch if quoted else swap.get(ch, ch))
    reads = " and ".join(
        f"{ch!r} as {word}" for ch, word in (("D", "day-of-year"), ("m", "minute")) if ch in swap
    )
    means = ", ".join(f"{new} is {_RUNS[new][1]}" for new in swap.values())
    return (
        f"pattern {pattern!r} reads {reads}, so a date would land on a wrong day; "
        f"did you mean {''.join(fixed)!r}? ({means})"
    )


def regex_problem(pattern: str) -> str | None:
    """What is wrong with a regular expression, or None.

    Spark runs Java regular expressions; the check compiles the pattern with Python's ``re`` after
    mapping the common Java-only constructs (``\\p{L}``, ``\\Q..\\E``, ``(?<name>..)``, ``\\z``), so a
    valid Java pattern is not refused. Python-only syntax (``(?P<name>..)``) is refused.

    Example:
        >>> regex_problem("^L[0-9]{7}$") is None
        True
    """
    if "(?P<" in pattern or "(?P=" in pattern:
        return f"{pattern!r} uses Python's (?P<name>...), which Java regular expressions do not know; write (?<name>...)"
    probe = re.sub(r"\\Q.*?\\E", "x", pattern, flags=re.S)
    probe = re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]|\\[hHRX]", "x", probe)
    probe = re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", probe)
    probe = re.sub(r"\\k<([A-Za-z][A-Za-z0-9]*)>", r"(?P=\1)", probe)
    probe = probe.replace("\\z", "\\Z")
    probe = re.sub(r"(?<!\\)([*+?}])\+", r"\1", probe)  # possessive quantifiers
    try:
        re.compile(probe)
    except re.error as exc:
        return f"{pattern!r} is not a valid regular expression ({exc.msg} at position {exc.pos}); fix it"
    except RecursionError:
        return f"{pattern!r} is too deeply nested to be a usable regular expression; simplify it"
    return None


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_problem(zone: str) -> str | None:
    """What is wrong with a time zone name, or None when it is a known IANA zone.

    Example:
        >>> zone_problem("Europe/Berlinn")
        "unknown time zone 'Europe/Berlinn'; did you mean 'Europe/Berlin'?"
    """
    try:
        ZoneInfo(zone)
        return None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    zones = _zones()
    same_case = [z for z in zones if z.lower() == zone.lower()]
    close = same_case or difflib.get_close_matches(zone, sorted(zones), n=1, cutoff=0.85)
    if close:
        return f"unknown time zone {zone!r}; did you mean {close[0]!r}?"
    return f"unknown time zone {zone!r}; use an IANA name such as UTC or America/New_York"
