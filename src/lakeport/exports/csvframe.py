"""CSV exports: nested columns flattened into one header row of plain values.

``person.firstName`` becomes ``person_firstName`` (path parts joined with ``_``); arrays and maps
become JSON strings with ``--csv-arrays json`` and are refused otherwise; ``--csv-drop`` leaves
paths out. The column map (name, source path, encoding) goes into the manifest.

Example:
    >>> flat, columns = csv_frame(profiles, arrays="json", drop=["_provenance"])  # doctest: +SKIP
    >>> columns[1]  # doctest: +SKIP
    {'name': 'identities', 'path': 'identities', 'encoding': 'json'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode, ExportError, UsageError
from lakeport.exports.formats import JSON_OPTIONS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import types as T


def csv_frame(
    df: DataFrame, *, arrays: str = "refuse", drop: Sequence[str] = ()
) -> tuple[DataFrame, list[dict[str, Any]]]:
    """``df`` with structs flattened for CSV, and the column map (name, source path, encoding).

    ``person.firstName`` becomes ``person_firstName`` (path parts joined with ``_``); arrays and
    maps become JSON strings with ``arrays="json"`` and are refused otherwise; ``drop`` names
    paths to leave out (a struct path drops all its fields).

    Args:
        df: the rows to export.
        arrays: ``refuse`` (array/map columns raise) or ``json`` (written as JSON strings).
        drop: dotted column paths to leave out.

    Returns:
        The flat frame, and one ``{"name", "path"[, "encoding"]}`` per column, in order.

    Raises:
        ExportError: ``EXPORT_CSV_NESTED`` naming each array/map column and the flags that help,
            ``EXPORT_CSV_NAME_CLASH`` when two paths flatten to one name (case-insensitive).
        UsageError: a ``drop`` path that is not a column.

    Example:
        >>> flat, columns = csv_frame(profiles, arrays="json", drop=["_provenance"])  # doctest: +SKIP
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    wanted = {d.strip() for d in drop}
    used: set[str] = set()
    out: list[tuple[str, str, Column, str | None]] = []
    nested: list[str] = []

    def walk(schema: T.StructType, prefix: list[str], parent: Column | None) -> None:
        for f in schema.fields:
            path = [*prefix, f.name]
            dotted = ".".join(path)
            if dotted in wanted:
                used.add(dotted)
                continue
            col = F.col(f"`{f.name}`") if parent is None else parent.getField(f.name)
            if isinstance(f.dataType, T.StructType):
                walk(f.dataType, path, col)
            elif isinstance(f.dataType, (T.ArrayType, T.MapType)):
                if arrays == "json":
                    out.append(("_".join(path), dotted, F.to_json(col, JSON_OPTIONS), "json"))
                else:
                    nested.append(f"{dotted} ({f.dataType.simpleString()})")
            else:
                out.append(("_".join(path), dotted, col, None))

    walk(df.schema, [], None)
    unknown = sorted(wanted - used)
    if unknown:
        raise UsageError(
            f"--csv-drop {', '.join(unknown)}: no such column; columns are "
            f"{', '.join(_paths(df.schema))}"
        )
    if nested:
        names = [n.split(" ", 1)[0] for n in nested]
        raise ExportError(
            f"CSV cannot hold the array/map column(s) {', '.join(nested)}: pass --csv-arrays json "
            "to write them as JSON strings, or "
            + " ".join(f"--csv-drop {n}" for n in names)
            + " to leave them out (or use --format json or parquet, which keep nesting)",
            code=ErrorCode.EXPORT_CSV_NESTED,
        )
    seen: dict[str, str] = {}
    for name, dotted, _, _ in out:
        other = seen.get(name.lower())
        if other is not None:
            raise ExportError(
                f"CSV column name {name!r} would come from both {other} and {dotted}: "
                f"leave one out with --csv-drop {dotted} (or --csv-drop {other})",
                code=ErrorCode.EXPORT_CSV_NAME_CLASH,
            )
        seen[name.lower()] = dotted
    flat = df.select(*[col.alias(name) for name, _, col, _ in out])
    columns = [
        {"name": name, "path": dotted, **({"encoding": enc} if enc else {})}
        for name, dotted, _, enc in out
    ]
    return flat, columns


def _paths(schema: T.StructType, prefix: str = "") -> list[str]:
    """Every column path of ``schema``, structs and their fields (``a``, ``a.b``), in order."""
    from pyspark.sql import types as T

    out = []
    for f in schema.fields:
        out.append(prefix + f.name)
        if isinstance(f.dataType, T.StructType):
            out.extend(_paths(f.dataType, prefix + f.name + "."))
    return out
