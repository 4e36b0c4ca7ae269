"""The identity rules of ``profiles.identity_rules`` as Spark Columns: normalise, then judge.

A value is normalised per namespace before anything else (``trim``, ``lower``, ``upper``,
``digits``: only the digits, ``e164``: ``+`` and the digits, a leading international ``00``
dropped), so ``" Ann@Example.COM "`` and ``"ann@example.com"`` are one identity; the dataset row,
and so the profile's attributes, keep the raw value. A normalised value is junk when it is empty
(the raw value was not), when it is one of the default placeholders (``default_junk``), or when
it is on the namespace's own ``junk`` list (a literal, compared ignoring case and surrounding
spaces, or ``{regex: ...}``, a Java regular expression that must match the whole value).

Example:
    >>> from lakeport.spec.profiles import IdentityRules
    >>> rules = IdentityRules.model_validate({"namespaces": {"email": {"normalise": ["trim", "lower"]}}})
    >>> priority_rank(rules, "email"), steps(rules, "email")
    (0, ['trim', 'lower'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeport.spec.profiles import JunkRegex

if TYPE_CHECKING:
    from pyspark.sql import Column

    from lakeport.spec.profiles import IdentityRules

DEFAULT_JUNK_LITERALS = (
    "null",
    "nil",
    "none",
    "undefined",
    "unknown",
    "anonymous",
    "n/a",
    "na",
    "nan",
    "-",
    "[object object]",
)
DEFAULT_JUNK_REGEXES = (
    r"\s+",  # blank
    r"[+]?(\d)\1*",  # one digit repeated: 0, 0000000000, +1111111111
    r"[0-]*0[0-]*",  # zeros and dashes: the nil UUID
)


def steps(rules: IdentityRules, namespace: str) -> list[str]:
    spec = rules.namespaces.get(namespace)
    return list(spec.normalise) if spec else []


def unique_namespaces(rules: IdentityRules) -> list[str]:
    return sorted(ns for ns, spec in rules.namespaces.items() if spec.unique)


def priority_rank(rules: IdentityRules, namespace: str) -> int:
    """0 for the first namespace of ``priority``; unlisted namespaces come after the listed."""
    order = rules.priority
    return order.index(namespace) if namespace in order else len(order)


def normalised(rules: IdentityRules, namespace: str, value: Column) -> Column:
    """The value as matched: the namespace's normalisation steps applied in order."""
    from pyspark.sql import functions as F

    out = value
    for step in steps(rules, namespace):
        if step == "trim":
            out = F.trim(out)
        elif step == "lower":
            out = F.lower(out)
        elif step == "upper":
            out = F.upper(out)
        else:
            digits = F.regexp_replace(out, r"[^0-9]", "")
            if step == "e164":
                digits = F.regexp_replace(digits, r"^00", "")
                digits = F.when(digits == "", digits).otherwise(F.concat(F.lit("+"), digits))
            out = digits
    return out


def normalise_value(rules: IdentityRules, namespace: str, value: str) -> str:
    """The same normalisation on one Python string (a lookup's value), without Spark.

    Example:
        >>> from lakeport.spec.profiles import IdentityRules
        >>> r = IdentityRules.model_validate({"namespaces": {"phone": {"normalise": ["e164"]}}})
        >>> normalise_value(r, "phone", "0049 (30) 1234-567")
        '+49301234567'
    """
    import re

    out = value
    for step in steps(rules, namespace):
        if step == "trim":
            out = out.strip(" ")  # Spark's trim removes spaces only
        elif step == "lower":
            out = out.lower()
        elif step == "upper":
            out = out.upper()
        else:
            out = re.sub(r"[^0-9]", "", out)
            if step == "e164":
                out = re.sub(r"^00", "", out)
                out = f"+{out}" if out else out
    return out


def junk_reason(rules: IdentityRules, namespace: str, value: Column) -> Column:
    """Why a normalised (non-null) value is junk, or null when it is an identity."""
    from pyspark.sql import functions as F

    spec = rules.namespaces.get(namespace)
    literals: list[str] = []
    regexes: list[str] = []
    for item in spec.junk if spec else []:
        if isinstance(item, JunkRegex):
            regexes.append(item.regex)
        else:
            literals.append(item.strip().lower())
    folded = F.lower(F.trim(value))

    def listed(words: list[str] | tuple[str, ...], patterns: list[str] | tuple[str, ...]) -> Column:
        hit = folded.isin(list(words)) if words else F.lit(False)
        for p in patterns:
            hit = hit | value.rlike(f"^(?:{p})$")
        return hit

    reason = F.when(value == "", F.lit("it normalises to nothing"))
    if rules.default_junk:
        reason = reason.when(
            listed(DEFAULT_JUNK_LITERALS, DEFAULT_JUNK_REGEXES),
            F.lit("a default junk value (profiles.identity_rules.default_junk)"),
        )
    if literals or regexes:
        reason = reason.when(
            listed(literals, regexes),
            F.lit(f"on profiles.identity_rules.namespaces.{namespace}.junk"),
        )
    return reason
