"""Reading YAML: at most 1 MB, the bounded strict loader, ``${ENV}`` interpolation, one model per file.

Every problem is one line: ``file: key.path: what is wrong; what to do``. The loader
(:mod:`lakeport.spec.loader`) refuses duplicate keys, deep nesting, alias bombs, huge integers and
values that cannot be built. ``${NAME}``, ``${NAME:-default}`` and nested ``${A:-${B:-default}}``
are expanded; the values that came from the environment are collected so that problem lines show
``${NAME}`` instead (:func:`lakeport.spec.messages.redact`).

Example:
    >>> problems = []
    >>> spec = parse_file(Path("schemas/loyalty.yaml"), SchemaSpec, problems)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lakeport.spec.base import model_keys, yaml_kind
from lakeport.spec.loader import ReadError, yaml_data
from lakeport.spec.messages import pydantic_problems, redact

MAX_FILE_BYTES = 1_000_000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_NESTING = 10  # ${A:-${B:-...}} levels; deeper is not a valid reference


@dataclass(frozen=True)
class _Ref:
    """``${name}`` or ``${name:-default}``; the default is literal text and nested references."""

    name: str
    default: tuple[str | _Ref, ...] | None


def _parts(text: str, i: int, depth: int, bad: list[int]) -> tuple[list[str | _Ref], int]:
    """Literal text and references from ``i``; inside a default (depth > 0), up to its ``}``.

    One pass, no backtracking: an unclosed default ends the scan (the rest is literal).
    """
    parts: list[str | _Ref] = []
    literal: list[str] = []
    while i < len(text):
        if text.startswith("${", i):
            ref, end = _reference(text, i, depth, bad)
            if ref is not None:
                parts.extend(["".join(literal), ref] if literal else [ref])
                literal, i = [], end
                continue
            literal.append(text[i:end] if end > i else "${")
            i = max(end, i + 2)
        elif depth and text[i] == "}":
            break
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts, i


def _reference(text: str, start: int, depth: int, bad: list[int]) -> tuple[_Ref | None, int]:
    """The reference at ``start`` and where it ends; (None, where to go on) when it is not one."""
    name = _NAME.match(text, start + 2)
    if name is not None and depth < _MAX_NESTING:
        if text.startswith("}", name.end()):
            return _Ref(name.group(), None), name.end() + 1
        if text.startswith(":-", name.end()):
            inner: list[int] = []
            default, end = _parts(text, name.end() + 2, depth + 1, inner)
            bad.extend(inner if end < len(text) else [start])
            if end < len(text):  # closed by its '}'
                return _Ref(name.group(), tuple(default)), end + 1
            return None, len(text)
    bad.append(start)
    return None, start


def _resolve(parts: Sequence[str | _Ref], unset: list[str], secrets: dict[str, str]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = os.environ.get(part.name)
        if value is None and part.default is not None:
            out.append(_resolve(part.default, unset, secrets))  # only evaluated when it is used
        elif value is None:
            unset.append(part.name)
        else:
            if value:
                secrets.setdefault(value, f"${{{part.name}}}")
            out.append(value)
    return "".join(out)


def _interpolate(
    node: Any,
    where: str,
    problems: list[str],
    file: Path,
    failed: set[str],
    secrets: dict[str, str],
) -> Any:
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{where}.{k}" if where else str(k), problems, file, failed, secrets)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [
            _interpolate(v, f"{where}[{i}]", problems, file, failed, secrets)
            for i, v in enumerate(node)
        ]
    if not (isinstance(node, str) and "${" in node):
        return node
    key = where or "(top level)"
    bad: list[int] = []
    parts, _ = _parts(node, 0, 0, bad)
    for start in bad:
        fragment = node[start:].split("}", 1)[0][:40] + ("}" if "}" in node[start:] else "")
        problems.append(
            f"{file}: {key}: {fragment!r} is not a valid reference; write ${{NAME}} or ${{NAME:-default}} "
            "(NAME: letters, digits and '_')"
        )
    if bad:
        failed.add(key)
        return node
    unset: list[str] = []
    value = _resolve(parts, unset, secrets)
    for name in unset:
        problems.append(
            f"{file}: {key}: environment variable {name} is not set; export it, "
            f"or write ${{{name}:-default}} to give a default"
        )
        failed.add(key)
    return value


def _keys_hint(model: type[BaseModel]) -> str:
    required = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
    if required:
        return f"it needs at least: {', '.join(required)}"
    return f"add its keys ({', '.join(sorted(model_keys(model)))})"


def _read_text(path: Path, problems: list[str]) -> str | None:
    """The file as text (newlines as in text mode), at most MAX_FILE_BYTES of it."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
        if len(raw) > MAX_FILE_BYTES:
            problems.append(
                f"{path}: larger than 1 MB ({max(size, len(raw)):,} bytes); lakeport reads YAML "
                f"files of at most {MAX_FILE_BYTES:,} bytes: check that this is the right file"
            )
            return None
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        problems.append(f"{path}: file not found; create it or fix the path that names it")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8")
    except OSError as exc:
        problems.append(
            f"{path}: cannot be read ({exc.strerror}); check that it is a readable file"
        )
    return None


def read_yaml(
    path: Path,
    problems: list[str],
    model: type[BaseModel],
    failed: set[str],
    secrets: dict[str, str] | None = None,
) -> Any:
    """The file's data with ``${...}`` expanded; None (and problem lines) when it cannot be read.

    ``secrets`` collects each value that came from the environment with its ``${NAME}``.
    """
    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        data = yaml_data(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top level)"
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, ReadError) or problem.startswith("duplicate key"):
            problems.append(f"{path}: {at}: {problem}")
        else:
            problems.append(f"{path}: {at}: not valid YAML ({problem}); fix the syntax there")
        return None
    if data is None:
        problems.append(f"{path}: the file is empty; {_keys_hint(model)}")
        return None
    if not isinstance(data, dict):
        problems.append(
            f"{path}: (top level): expected a mapping of keys, got {yaml_kind(data)}; "
            f"write 'key: value' lines ({', '.join(sorted(model_keys(model)))})"
        )
        return None
    return _interpolate(data, "", problems, path, failed, {} if secrets is None else secrets)


def parse_file(
    path: Path, model: type[BaseModel], problems: list[str], secrets: dict[str, str] | None = None
) -> Any:
    """The file validated as ``model``, or None; problem lines show ``${NAME}``, not its value.

    ``secrets`` (when given) receives this file's environment values (value -> ``${NAME}``), so
    that a caller can redact the lines it writes across files too.
    """
    failed: set[str] = set()
    own: dict[str, str] = {}
    start = len(problems)
    try:
        data = read_yaml(path, problems, model, failed, own)
        if data is None:
            return None
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            problems.extend(pydantic_problems(path, exc, model, failed, own))
            return None
        return None if failed else parsed
    finally:
        problems[start:] = [redact(p, own) for p in problems[start:]]
        for value, ref in own.items():
            if secrets is not None:
                secrets.setdefault(value, ref)
