"""Cross-checks of ``inlet:``: each inlet dataset names a source that feeds it from a local
directory, as JSON Lines files the inlet can write and the source's glob matches.

Example:
    >>> inlet_file_name("20261202T011500123Z", "3fa9c2")
    'inlet-20261202T011500123Z-3fa9c2.jsonl'
    >>> glob_matches("*.jsonl", inlet_file_name("20261202T011500123Z", "3fa9c2"))
    True
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from lakeport.spec.base import suggest
from lakeport.spec.settings import LakeportFile

SAMPLE_NAME = "inlet-20261202T011500123Z-3fa9c2.jsonl"


def inlet_file_name(stamp: str, token: str) -> str:
    """The landing file name of one rotated inlet log (what the source's glob must match)."""
    return f"inlet-{stamp}-{token}.jsonl"


def glob_matches(glob: str, name: str) -> bool:
    """Whether a Hadoop glob (``*``, ``?``, ``[ab]``, one level of ``{a,b}``) matches ``name``."""
    alternatives = [glob]
    braces = re.search(r"\{([^{}]*)\}", glob)
    if braces:
        alternatives = [
            glob[: braces.start()] + option + glob[braces.end() :]
            for option in braces.group(1).split(",")
        ]
    return any(fnmatch.fnmatchcase(name, g) for g in alternatives)


def is_local(location: str) -> bool:
    """A plain path or a ``file:`` URI: where ``fsync`` and an atomic rename mean what they say."""
    return "://" not in location or location.startswith("file:")


def local_dir(location: str) -> Path:
    """The directory of a local location (``file:///x`` and ``file:/x`` -> ``/x``)."""
    if location.startswith("file:"):
        location = re.sub(r"^file:(//)?", "", location)
    return Path(location)


def inlet_problems(cfg_path: Path, top: LakeportFile, secrets: dict[str, str]) -> list[str]:
    """One line per problem of ``inlet:`` against the datasets and sources of the same file."""
    problems: list[str] = []
    at = f"{cfg_path}: inlet"
    inlet = top.inlet
    if inlet.auth is not None and inlet.auth.token not in secrets:
        problems.append(
            f"{at}.auth.token: write it as ${{NAME}} and set the environment variable NAME "
            "(secrets never live in the YAML)"
        )
    used: dict[str, str] = {}
    for name, entry in inlet.datasets.items():
        where = f"{at}.datasets.{name}"
        ds = top.datasets.get(name)
        if ds is None:
            hint = suggest(name, top.datasets) or (
                f"; use one of: {', '.join(top.datasets) or '(none configured)'}"
            )
            problems.append(f"{where}: no dataset named {name!r}{hint}")
            continue
        src = top.sources.get(entry.source)
        if src is None:
            hint = suggest(entry.source, top.sources) or (
                f"; add sources.{entry.source} with the location the inlet writes to"
            )
            problems.append(f"{where}.source: no source named {entry.source!r}{hint}")
            continue
        if src.dataset != name:
            problems.append(
                f"{where}.source: source {entry.source!r} feeds dataset {src.dataset!r}, not "
                f"{name!r}; name a source whose dataset is {name!r}"
            )
        if entry.source in used:
            problems.append(
                f"{where}.source: source {entry.source!r} is already the inlet of dataset "
                f"{used[entry.source]!r}; give each dataset its own source"
            )
        used[entry.source] = name
        fmt = src.format or ds.format
        options = ds.options.model_copy(
            update={k: getattr(src.options, k) for k in src.options.model_fields_set}
            if src.options
            else {}
        )
        if fmt != "json" or options.multiline:
            problems.append(
                f"{where}: the inlet writes JSON Lines, but source {entry.source!r} reads "
                f"{'multi-line JSON' if fmt == 'json' else fmt}; use a json source without "
                "multiline"
            )
        if options.encoding.replace("-", "").upper() != "UTF8":
            problems.append(
                f"{where}: the inlet writes UTF-8, but source {entry.source!r} reads "
                f"{options.encoding}; remove the encoding option"
            )
        if not is_local(src.location):
            problems.append(
                f"sources.{entry.source}.location: {src.location!r} is not a local directory; "
                "the inlet writes with fsync and an atomic rename, which object stores do not "
                "have (run the inlet where its landing directory is a local disk)"
            )
        if not glob_matches(src.glob, SAMPLE_NAME):
            problems.append(
                f"{cfg_path}: sources.{entry.source}.glob: {src.glob!r} does not match the "
                f"inlet's files such as {SAMPLE_NAME!r} at the top of the location; use "
                "'*.jsonl' or '*'"
            )
    return problems
