"""Validation rules of a converted value: enum, minimum/maximum, pattern, identity rules.

Example:
    >>> [code for _, code, _ in rule_failures(F.col("qty"), FieldSpec(type="integer", maximum=10), "qty", False)]  # doctest: +SKIP
    ['ABOVE_MAXIMUM']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeport.errors import ErrorCode
from lakeport.spec.schema import MAX_IDENTITY_LENGTH, FieldSpec
from lakeport.transforms.fields import shown

if TYPE_CHECKING:
    from pyspark.sql import Column

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def rule_failures(
    value: Column, spec: FieldSpec, path: str, required: bool
) -> list[tuple[Column, str, Column]]:
    """Rule failures of one converted value: (flag, code, message)."""
    from pyspark.sql import functions as F

    out: list[tuple[Column, str, Column]] = []
    present = value.isNotNull()
    if spec.enum is not None:
        allowed = ", ".join(str(v) for v in spec.enum)
        out.append(
            (
                present & ~value.isin(*spec.enum),
                ErrorCode.ENUM_MISMATCH.value,
                F.concat(F.lit("value "), shown(value), F.lit(f" is not one of [{allowed}]")),
            )
        )
    if spec.minimum is not None:
        out.append(
            (
                present & (value < F.lit(spec.minimum)),
                ErrorCode.BELOW_MINIMUM.value,
                F.concat(
                    F.lit("value "), shown(value), F.lit(f" is below the minimum {spec.minimum:g}")
                ),
            )
        )
    if spec.maximum is not None:
        out.append(
            (
                present & (value > F.lit(spec.maximum)),
                ErrorCode.ABOVE_MAXIMUM.value,
                F.concat(
                    F.lit("value "), shown(value), F.lit(f" is above the maximum {spec.maximum:g}")
                ),
            )
        )
    if spec.pattern is not None:
        out.append(
            (
                present & ~value.rlike(spec.pattern),
                ErrorCode.PATTERN_MISMATCH.value,
                F.concat(F.lit("value "), shown(value), F.lit(f" does not match {spec.pattern}")),
            )
        )
    if spec.identity is not None:
        out.append(
            (
                present & (F.length(value) > MAX_IDENTITY_LENGTH),
                ErrorCode.IDENTITY_TOO_LONG.value,
                F.lit(f"identity value longer than {MAX_IDENTITY_LENGTH} characters"),
            )
        )
        if "email" not in spec.identity.namespace.lower():
            out.append(
                (
                    present & F.contains(value, F.lit("@")) & value.rlike(_EMAIL),
                    ErrorCode.IDENTITY_EMAIL_IN_ID.value,
                    F.lit(
                        f"an email address in identity namespace {spec.identity.namespace!r}; "
                        "ids must not carry personal data"
                    ),
                )
            )
    return out
