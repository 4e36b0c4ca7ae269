"""The YAML loaders: ``safe_load`` without duplicate keys, within limits, same messages either way.

A hostile or broken file costs neither time nor memory: nesting depth and the number of values
once aliases are expanded are counted on the parser's event stream before any node tree is built,
integers are capped in digits (whatever ``sys.set_int_max_str_digits`` says), and a value that
cannot be built (``2026-13-45``, ``!!float abc``) is a YAML error at its line. libyaml's parser is
used when PyYAML has it; every error is re-read by the pure-Python one, so that messages do not
depend on whether libyaml is installed. :mod:`lakeport.spec.reading` caps the file size.

Example:
    >>> yaml_data("a: [1, 2]")
    {'a': [1, 2]}
    >>> yaml_data("a: " + "[" * 200)
    Traceback (most recent call last):
    ...
    lakeport.spec.loader.ReadError: nested more than 100 levels deep; flatten the structure
    ...
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

MAX_DEPTH = 100
MAX_VALUES = 100_000
MAX_INT_DIGITS = 100

_KINDS = {"timestamp": "date", "int": "whole number", "float": "number", "bool": "boolean"}
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; flatten the structure"


class ReadError(yaml.MarkedYAMLError):
    """A limit or an unbuildable value; its ``problem`` is the whole message."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _Guarded:
    """Constructor rules of both loaders: a value that cannot be built is a YAML error at its node."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            kind = _KINDS.get(str(node.tag).rsplit(":", 1)[-1], "value")
            text = repr(node.value) if isinstance(node.value, str) else str(node.tag)
            shown = text if len(text) <= 60 else text[:57] + "..."
            why = f" ({exc})" if isinstance(exc, ValueError | OverflowError) else ""
            raise ReadError(
                f"{shown} is not a valid {kind}{why}; write a real one, or put it in quotes if it "
                "is text",
                node.start_mark,
            ) from None


class _StrictLoader(_Guarded, yaml.SafeLoader):
    """``safe_load`` that refuses duplicate keys instead of silently keeping the last one."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # the pure scanner looks up to 1024 characters ahead per '[', at a cost that grows with
        # the flow depth: stop it at the depth limit (libyaml's scanner is cheap there)
        if self.flow_level >= MAX_DEPTH:
            raise ReadError(_TOO_DEEP, self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


class _FastStrictLoader(_Guarded, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
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


def _capped_int(loader: Any, node: yaml.ScalarNode) -> int:
    """An integer of at most MAX_INT_DIGITS digits (whatever ``sys.set_int_max_str_digits`` says)."""
    body = re.sub(r"^[-+]?(0[xob])?", "", str(node.value).replace("_", "").replace(":", ""))
    if len(body) > MAX_INT_DIGITS:
        raise ReadError(
            f"a number of {len(body):,} digits (at most {MAX_INT_DIGITS} are read); put it in "
            "quotes if it is text",
            node.start_mark,
        )
    return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
    _loader.add_constructor("tag:yaml.org,2002:int", _capped_int)


def _check_shape(text: str, loader: type) -> None:
    """Depth and expanded size from the event stream, before a node tree exists.

    Raises:
        ReadError: nested deeper than MAX_DEPTH, more than MAX_VALUES values once every alias is
            expanded (a "billion laughs" file of a few lines), or an alias inside its own anchor.
        yaml.YAMLError: the text is not YAML (the caller lets the loader report it).
    """
    open_: list[tuple[str | None, int]] = []  # (anchor, values before it) per open collection
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    values = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_):
                raise ReadError(
                    f"alias *{event.anchor} is inside the anchor &{event.anchor} it points to (a "
                    "value cannot contain itself); write the values out",
                    event.start_mark,
                )
            values += sizes.get(str(event.anchor), 1)
            if values > MAX_VALUES:
                raise ReadError(
                    f"alias *{event.anchor} makes the file hold more than {MAX_VALUES:,} values "
                    "(an alias repeats everything its anchor holds); write the values out, or use "
                    "fewer aliases",
                    event.start_mark,
                )
            continue
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            values += 1
            if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                sizes[event.anchor] = 1
            if isinstance(event, yaml.CollectionStartEvent):
                open_.append((event.anchor, values - 1))
                if len(open_) > MAX_DEPTH:
                    raise ReadError(_TOO_DEEP, event.start_mark)
            if values > MAX_VALUES:
                raise ReadError(
                    f"more than {MAX_VALUES:,} values in one file; split it", event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = open_.pop()
            if anchor is not None:
                sizes[anchor] = values - before


def _within_limits(text: str, loader: type) -> None:
    try:
        _check_shape(text, loader)
    except ReadError:
        raise
    except yaml.YAMLError:
        pass  # not YAML: the load reports it with its own message


@functools.lru_cache(maxsize=256)
def _load(text: str) -> tuple[Any, yaml.YAMLError | None]:
    """(data, None) or (None, the error), cached by content, errors too: validate reads twice."""
    try:
        _within_limits(text, _FastStrictLoader)
        return yaml.load(text, Loader=_FastStrictLoader), None  # SafeLoader: plain data only
    except yaml.YAMLError as fast:
        try:
            _within_limits(text, _StrictLoader)
            yaml.load(text, Loader=_StrictLoader)
        except yaml.YAMLError as pure:
            return None, pure
        return None, fast


def yaml_data(text: str) -> Any:
    """The parsed YAML text.

    Raises:
        yaml.YAMLError: with the pure-Python loader's message and position, so that messages do
            not depend on whether libyaml is installed.
    """
    data, error = _load(text)
    if error is not None:
        raise error
    return data
