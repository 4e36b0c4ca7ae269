"""Names that become paths: batch ids, source and policy names, export times.

A batch id names ``<lake>/staging/<id>/`` and is deleted with it, so an id such as
``../datasets`` must never reach a path. Every entry point (the CLI, the job functions, the lake
layout) checks a name with :func:`check_batch_id` / :func:`check_name` before it is used; a
refused name is an :class:`~lakeport.errors.InvalidNameError` (exit code 2), never a path.

Example:
    >>> check_batch_id("purchases-2026-11-23")
    'purchases-2026-11-23'
    >>> check_batch_id("../datasets")
    Traceback (most recent call last):
    ...
    lakeport.errors.InvalidNameError: batch id '../datasets' ...
"""

from __future__ import annotations

import re

from lakeport.errors import InvalidNameError

MAX_NAME_LENGTH = 128
# letters, digits, '.', '_' and '-', starting with a letter or digit: never '/', '..', '.',
# white space, quotes or control characters, and short enough to be a file name anywhere
BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
BATCH_ID_RULE = (
    f"1 to {MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit"
)


# datasets, policies and sources: lower-case, as lakeport.yaml's validators require
SIMPLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
SIMPLE_NAME_RULE = "lower-case letters, digits and '_', starting with a letter"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...' ({len(str(value))} characters)"


def check_name(kind: str, value: object, pattern: re.Pattern[str], rule: str) -> str:
    """``value`` when it is a valid ``kind`` name, else an InvalidNameError saying the rule.

    Raises:
        InvalidNameError: not a string, empty, too long, or outside ``pattern``.
    """
    if (
        not isinstance(value, str)
        or len(value) > MAX_NAME_LENGTH
        or pattern.fullmatch(value) is None
    ):
        raise InvalidNameError(
            f"{kind} {_shown(value)} is not allowed: a {kind} is {rule}; choose another"
        )
    return value


def check_batch_id(value: object) -> str:
    """``value`` when it is a valid batch id (see :data:`BATCH_ID_RULE`).

    Raises:
        InvalidNameError: e.g. for ``../datasets``, ``.``, ``a/b``, an id with a newline or quote.
    """
    return check_name("batch id", value, BATCH_ID_PATTERN, BATCH_ID_RULE)
