"""``profiles get`` without Spark: the profile row holding an identity, and its events.

The same checks and messages as :func:`lakeport.profiles.lookup` (unknown namespace or policy,
no profiles built, no profile holds the identity), the same :class:`Profile`. The profile tables
carry deletion vectors, which delta-rs applies. Two rows holding one identity (Spark would return
either) are :class:`Unavailable`, and so are events tied on their timestamp whose JSON text this
module cannot write exactly as Spark does (:mod:`lakeport.readonly.sparkjson`).

A normalised namespace's value is normalised as the Spark lookup does (ASCII values only).

Example:
    >>> p = lookup(Store.of(cfg.lake_root, {}), cfg, "email", " Ann@Example.com")  # doctest: +SKIP
    >>> p.attributes  # doctest: +SKIP
    {'first': 'Ann'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.lake.layout import Lake
from lakeport.profiles.lookup import check_namespace, not_built, not_held
from lakeport.profiles.results import Profile
from lakeport.profiles.rules import normalise_value, steps
from lakeport.profiles.tables import resolve_policy
from lakeport.readonly.sparkjson import event_text, event_value
from lakeport.readonly.store import Store, Unavailable
from lakeport.readonly.tables import Frame, Table, open_table, sql_string, type_name

if TYPE_CHECKING:
    from lakeport.config.model import Config


def _holds(identities: Any, namespace: str, value: str) -> bool:
    return any(
        i is not None and i.get("namespace") == namespace and i.get("id") == value
        for i in identities or ()
    )


def _holding(table: Table, namespace: str, value: str) -> Frame:
    """The profile rows whose ``identities`` hold ``(namespace, value)``.

    The engine filters first (``array_has``); what it returns is checked again here, and when it
    returns nothing every row's identities are looked at, so a filter that misses can only cost
    time.
    """
    ns, v = sql_string(namespace), sql_string(value)
    if ns is not None and v is not None:
        for text in ("Utf8View", "Utf8"):
            wanted = (
                f"named_struct('namespace', arrow_cast({ns}, '{text}'), "
                f"'id', arrow_cast({v}, '{text}'))"
            )
            try:
                frame = table.read(predicate=f"array_has(identities, {wanted})")
            except Unavailable:
                continue
            keep = [
                i
                for i, ids in enumerate(frame.columns["identities"])
                if _holds(ids, namespace, value)
            ]
            if keep:
                return frame.take(keep)
            break
    ids = table.read(["identities"]).columns["identities"]
    keep = [i for i, row in enumerate(ids) if _holds(row, namespace, value)]
    if not keep:
        return Frame(list(table.fields), dict(table.fields), {n: [] for n in table.fields})
    return table.read().take(keep)  # the same snapshot: the table was opened once


def lookup(
    store: Store,
    cfg: Config,
    namespace: str,
    value: str,
    policy: str | None = None,
    *,
    events: bool = False,
    events_limit: int = 100,
) -> Profile:
    """What :func:`lakeport.profiles.lookup` returns, read with delta-rs."""
    name, spec = resolve_policy(cfg, policy)
    lake = Lake(cfg.lake_root)
    ppath = lake.profiles_path(name)
    check_namespace(cfg, namespace)
    table = open_table(store, ppath)
    if table is None:
        raise not_built(name, ppath)
    value = _normalised(cfg, namespace, value)
    found = _holding(table, namespace, value)
    if not found.num_rows:
        raise not_held(namespace, value, name)
    if found.num_rows > 1:
        raise Unavailable(f"{found.num_rows} profiles hold {namespace}:{value}")
    return Profile.from_row(
        found.rows()[0],
        policy=name,
        merge=spec.merge,
        events=(lambda ids: profile_events(store, cfg, ids, events_limit)) if events else None,
    )


def _normalised(cfg: Config, namespace: str, value: str) -> str:
    """The value as the identity graph matches it (``profiles.identity_rules``), computed in
    Python only where that is certainly Spark's result (ASCII text; Java and Python agree on
    its case mapping)."""
    rules = cfg.profiles.identity_rules
    if not steps(rules, namespace):
        return value
    if not value.isascii():
        raise Unavailable(f"a non-ASCII value of the normalised namespace {namespace}")
    return normalise_value(rules, namespace, value)


def _as_string(t: Any, value: Any) -> str | None:
    """``cast(col as string)`` of an identity value (strings and integers only)."""
    kind = type_name(t)
    if value is None:
        return None
    if kind == "string":
        return str(value)
    if kind in ("long", "integer", "short", "byte"):
        return str(value)
    raise Unavailable(f"an identity column of type {kind}")


def _path_value(fields: dict[str, Any], row: dict[str, Any], path: str) -> tuple[Any, Any]:
    """(type, value) of a dotted column path in one raw row."""
    first, *rest = path.split(".")
    if first not in fields:
        raise Unavailable(f"no column {first!r}")
    t, v = fields[first], row.get(first)
    for name in rest:
        if type_name(t) != "struct":
            raise Unavailable(f"{path} is not a struct field")
        t = next(f.type for f in t.fields if f.name == name)
        v = None if v is None else v.get(name)
    return t, v


def _events_filter(
    fields: dict[str, Any], paths: list[tuple[str, str]], by_ns: dict[str, set[str]]
) -> str | None:
    """A DataFusion filter keeping the rows an identity column matches (None: read them all).

    Only top-level string columns are filtered by the engine; every row it keeps is checked
    again in Python, so the filter can only narrow what is read.
    """
    terms = []
    for path, ns in paths:
        if "." in path or path not in fields or type_name(fields[path]) != "string":
            return None
        values = [sql_string(v) for v in sorted(by_ns[ns])]
        if any(v is None for v in values) or '"' in path:
            return None
        terms.append(f'"{path}" IN ({", ".join(str(v) for v in values)})')
    return " OR ".join(terms) if terms else None


def profile_events(
    store: Store, cfg: Config, identities: list[dict[str, str]], limit: int = 100
) -> list[dict[str, Any]]:
    """Events of every event dataset that carry one of these identities, oldest first."""
    lake = Lake(cfg.lake_root)
    by_ns: dict[str, set[str]] = {}
    for i in identities:
        by_ns.setdefault(i["namespace"], set()).add(i["id"])
    found: list[tuple[Any, dict[str, Any]]] = []
    for d in cfg.datasets.values():
        if d.schema_spec.class_ != "event":
            continue
        paths = [(p, s.namespace) for p, s in d.schema_spec.identities() if s.namespace in by_ns]
        if not paths:
            continue
        table = open_table(store, lake.dataset_path(d.name))
        if table is None:
            continue
        if "timestamp" not in table.fields:
            raise Unavailable(f"event dataset {d.name} has no timestamp column")
        body = [c for c in table.fields if not c.startswith("_") or c == "_id"]
        if {"dataset", "batchId"} & set(body):
            raise Unavailable(f"event dataset {d.name} has a column named dataset or batchId")
        # a normalised namespace matches values the engine's IN would not: read every row
        raw_paths = all(not steps(cfg.profiles.identity_rules, ns) for _, ns in paths)
        predicate = _events_filter(table.fields, paths, by_ns) if raw_paths else None
        frame = table.read(predicate=predicate)
        for r in range(frame.num_rows):
            raw = {n: frame.columns[n][r] for n in frame.names}
            if not any(
                (v := _as_string(*_path_value(table.fields, raw, p))) is not None
                and _normalised(cfg, ns, v) in by_ns[ns]
                for p, ns in paths
            ):
                continue
            event: dict[str, Any] = {"dataset": d.name}
            if raw.get("_batch_id") is not None:
                event["batchId"] = raw["_batch_id"]
            for c in body:
                v = event_value(table.fields[c], raw[c])
                if v is not None:
                    event[c] = v
            found.append((raw["timestamp"], event))
    return _ordered(found, limit)


def _ordered(found: list[tuple[Any, dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Oldest first, ties on the timestamp broken by the JSON text (as Spark's sort does)."""
    found.sort(key=lambda e: (e[0] is not None, e[0] or 0))
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(found):
        j = i + 1
        while j < len(found) and found[j][0] == found[i][0]:
            j += 1
        group = [e for _, e in found[i:j]]
        if len(group) > 1:  # only tied events need their exact text
            group.sort(key=event_text)
        out.extend(group)
        i = j
    return out[: max(limit, 0)]
