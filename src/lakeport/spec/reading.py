"""Reading YAML: ``safe_load`` without duplicate keys, ``${ENV}`` interpolation, one model per file.

Every problem is one line: ``file: key.path: what is wrong; what to do``.

Example:
    >>> problems = []
    >>> spec = parse_file(Path("schemas/loyalty.yaml"), SchemaSpec, problems)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lakeport.spec.base import model_keys, yaml_kind
from lakeport.spec.messages import pydantic_problems

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _StrictLoader(yaml.SafeLoader):
    """``safe_load`` that refuses duplicate keys instead of silently keeping the last one."""


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same with libyaml's parser when PyYAML has it (errors are re-read by the pure loader)."""


def _no_duplicates(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # keys merged in with << may be overridden
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen_at = first.get(key)
        except TypeError:  # an unhashable key; the base constructor reports it
            continue
        if seen_at is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen_at + 1}); keep one",
                key_node.start_mark,
            )
        first[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


@functools.lru_cache(maxsize=256)
def _yaml_data(text: str) -> Any:
    """The parsed YAML text (cached by content: validate_tree and load_config read files twice).

    Raises:
        yaml.YAMLError: with the pure-Python loader's message and position, so that messages do
            not depend on whether libyaml is installed.
    """
    try:
        return yaml.load(text, Loader=_FastStrictLoader)  # SafeLoader subclasses: plain data only
    except yaml.YAMLError:
        yaml.load(text, Loader=_StrictLoader)
        raise


def _interpolate(node: Any, where: str, problems: list[str], file: Path, failed: set[str]) -> Any:
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{where}.{k}" if where else str(k), problems, file, failed)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [
            _interpolate(v, f"{where}[{i}]", problems, file, failed) for i, v in enumerate(node)
        ]
    if isinstance(node, str) and "${" in node:
        key = where or "(top level)"
        for start in (m.start() for m in re.finditer(r"\$\{", node)):
            if not _ENV_REF.match(node, start):
                fragment = node[start:].split("}", 1)[0][:40] + ("}" if "}" in node[start:] else "")
                problems.append(
                    f"{file}: {key}: {fragment!r} is not a valid reference; write ${{NAME}} or ${{NAME:-default}} "
                    "(NAME: letters, digits and '_')"
                )
                failed.add(key)

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = os.environ.get(name)
            if value is None:
                if default is not None:
                    return default
                problems.append(
                    f"{file}: {key}: environment variable {name} is not set; export it, "
                    f"or write ${{{name}:-default}} to give a default"
                )
                failed.add(key)
                return ""
            return value

        return _ENV_REF.sub(repl, node)
    return node


def _keys_hint(model: type[BaseModel]) -> str:
    required = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
    if required:
        return f"it needs at least: {', '.join(required)}"
    return f"add its keys ({', '.join(sorted(model_keys(model)))})"


def read_yaml(path: Path, problems: list[str], model: type[BaseModel], failed: set[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: file not found; create it or fix the path that names it")
        return None
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return None
    except OSError as exc:
        problems.append(
            f"{path}: cannot be read ({exc.strerror}); check that it is a readable file"
        )
        return None
    try:
        data = _yaml_data(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top level)"
        problem = getattr(exc, "problem", None) or str(exc)
        if problem.startswith("duplicate key"):
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
    return _interpolate(data, "", problems, path, failed)


def parse_file(path: Path, model: type[BaseModel], problems: list[str]) -> Any:
    failed: set[str] = set()
    data = read_yaml(path, problems, model, failed)
    if data is None:
        return None
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(path, exc, model, failed))
        return None
    return None if failed else parsed
