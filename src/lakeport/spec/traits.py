"""Audience-partner inbound files (``format: aam``): the file-name syntax and the fixed traits schema.

Pure: the names are checked before Spark reads a byte, and the schema stands in for a schema file
(an ``aam`` dataset has neither schema nor mapping).

Example:
    >>> parse_name("ftp_dpm_20914_21_1700000000.sync.2.gz").target_dpid
    21
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lakeport.spec.schema import SchemaSpec

NAME_SYNTAX = (
    "ftp_dpm_<DPID>[_<targetDPID>]_<10-digit UTC epoch seconds>(.sync|.overwrite)[.N][.gz]"
)
NAME_EXAMPLES = "ftp_dpm_21_1700000000.sync or ftp_dpm_20914_21_1700000000.overwrite.2.gz"
# One pattern for the driver (names are checked before Spark reads) and for Spark (the columns).
NAME_PATTERN = r"^ftp_dpm_([0-9]{1,18})(?:_([0-9]{1,18}))?_([0-9]{10})\.(sync|overwrite)(?:\.([0-9]{1,9}))?(\.gz)?$"
_NAME = re.compile(NAME_PATTERN)
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
MAX_USER_ID_LENGTH = 1024

# name, type, description: the dataset's columns (before the system columns)
TRAIT_COLUMNS: list[tuple[str, str, str]] = [
    ("user_id", "string", "the user id from the line, exactly as sent (case-sensitive)"),
    ("data_source_id", "long", "the DPID in the file name: the data source of the user ids"),
    (
        "target_dpid",
        "long",
        "the data source the traits belong to: the file name's target DPID, else its DPID",
    ),
    ("trait_type", "string", "kv (key=value), id (a bare numeric trait id) or sid (d_sid=<id>)"),
    ("trait_key", "string", "the key of a kv trait; the trait id (no leading zeros) otherwise"),
    ("trait_value", "string", "the value of a kv trait; null for id and sid"),
    ("file_at", "datetime", "the epoch in the name of the file that last set the trait (UTC)"),
]
USER_KEY = ["data_source_id", "target_dpid", "user_id"]
TRAIT_KEY = [*USER_KEY, "trait_type", "trait_key"]


def traits_schema() -> SchemaSpec:
    """The fixed schema of every ``format: aam`` dataset (no schema or mapping file is used).

    Example:
        >>> [name for name in traits_schema().fields][:2]
        ['user_id', 'data_source_id']
    """
    fields = {
        name: {"type": type_, "description": text, "required": name in USER_KEY}
        for name, type_, text in TRAIT_COLUMNS
    }
    fields["trait_type"]["enum"] = ["kv", "id", "sid"]
    return SchemaSpec.model_validate(
        {
            "name": "aam_traits",
            "class": "other",
            "description": "audience-partner traits",
            "fields": fields,
        }
    )


@dataclass(frozen=True)
class InboundName:
    """The parts of an inbound file name."""

    name: str
    dpid: int
    target_dpid: int | None
    epoch: int
    mode: Literal["sync", "overwrite"]
    split: int | None
    gzip: bool

    @property
    def order(self) -> tuple[int, int, str]:
        """Files of a batch are applied in this order: epoch, split number (none = 0), name."""
        return (self.epoch, self.split or 0, self.name)


def _name_problem(name: str) -> str:
    """Why ``name`` is not an inbound file name, in words (for names the pattern rejects)."""
    if not name.startswith("ftp_dpm_"):
        return "it does not start with 'ftp_dpm_'"
    stem = name[: -len(".gz")] if name.endswith(".gz") else name
    tail = re.search(r"\.(sync|overwrite)(\.[0-9]+)?$", stem)
    if tail is None:
        if re.search(r"\.(sync|overwrite)", stem):
            return "only a split number (.N) and .gz may follow .sync or .overwrite"
        return "it does not end in .sync or .overwrite (then optionally .N and .gz)"
    parts = stem[len("ftp_dpm_") : tail.start()].split("_")
    if len(parts) not in (2, 3) or not all(p.isdigit() and p.isascii() for p in parts):
        return (
            "between 'ftp_dpm_' and the extension there must be <DPID>[_<targetDPID>]_<timestamp>, "
            "numbers separated by '_'"
        )
    stamp = parts[-1]
    if len(stamp) != 10:
        hint = " (13 digits look like milliseconds)" if len(stamp) == 13 else ""
        return f"the timestamp {stamp} has {len(stamp)} digits; it must be 10-digit UTC epoch seconds{hint}"
    if any(len(p) > 18 for p in parts[:-1]):
        return "a DPID has more than 18 digits"
    return "the split number has more than 9 digits"


def parse_name(name: str) -> InboundName:
    """Parse an inbound file name (the last path segment of a file).

    Raises:
        ValueError: with the reason, when the name does not follow the syntax.

    Example:
        >>> parse_name("ftp_dpm_21_1700000000.overwrite").mode
        'overwrite'
    """
    match = _NAME.match(name)
    if match is None:
        raise ValueError(_name_problem(name))
    dpid, target, epoch, mode, split, gz = match.groups()
    return InboundName(
        name=name,
        dpid=int(dpid),
        target_dpid=int(target) if target else None,
        epoch=int(epoch),
        mode="sync" if mode == "sync" else "overwrite",
        split=int(split) if split else None,
        gzip=gz is not None,
    )
