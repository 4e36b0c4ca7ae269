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
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if pattern[i + 1 : i + 2] == "'":  # '' is a literal quote, inside or outside quotes
                i += 2
                continue
            quoted = not quoted
        elif not quoted and ch.isascii() and ch.isalpha() and ch not in letters:
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
    return None


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
