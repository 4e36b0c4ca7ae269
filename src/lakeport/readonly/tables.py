"""Delta tables through delta-rs: which ones it may read, and their rows as Spark collects them.

:func:`open_table` refuses (:class:`~lakeport.readonly.store.Unavailable`) a table whose protocol
asks for a reader feature outside :data:`READER_FEATURES` (the ones lakeport writes and the tests
check: deletion vectors), column mapping, or anything delta-rs itself cannot load. A path without
a ``_delta_log`` commit is no table (None), as ``DeltaTable.isDeltaTable`` says on Spark.

:meth:`Table.read` scans with delta-rs's own engine (deletion vectors applied, columns a file
lacks read as null) into a :class:`Frame` of plain Python values: Arrow arrives through the small
``arro3`` package that ``deltalake`` ships with, so neither pyarrow nor pandas is imported. Its
:meth:`Frame.rows` are what ``Row.asDict(recursive=True)`` gives after ``collect()``: maps and
structs as dicts, timestamps as naive datetimes in this process's local zone (PySpark's
``datetime.fromtimestamp``), binary as bytearray; printed through the same code, the two paths
print the same bytes.

Example:
    >>> from datetime import datetime, timezone
    >>> spark_value("map<string,long>", [("a", 1)])
    {'a': 1}
    >>> spark_local(datetime(2026, 1, 1, tzinfo=timezone.utc)) == datetime.fromtimestamp(1767225600)
    True
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from lakeport.readonly.store import Store, Unavailable

READER_FEATURES = frozenset({"deletionVectors"})
MAX_ROWS = 200_000  # rows read into Python without a filter; more than that: Spark answers
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
_PLAIN = {
    "string",
    "long",
    "integer",
    "short",
    "byte",
    "float",
    "double",
    "boolean",
    "date",
}


def type_name(t: Any) -> str:
    """A delta-rs schema type as a short name: ``string``, ``struct``, ``array``, ``map``, ..."""
    if isinstance(t, str):
        return t.split("<", 1)[0]
    kind = type(t).__name__
    if kind == "PrimitiveType":
        return str(t.type)
    return {"StructType": "struct", "ArrayType": "array", "MapType": "map"}.get(kind, kind)


class Frame:
    """Rows of one read: column names, their delta-rs types, and the values per column."""

    def __init__(self, names: list[str], types: dict[str, Any], columns: dict[str, list[Any]]):
        self.names = names
        self.types = types
        self.columns = columns
        self.num_rows = len(columns[names[0]]) if names else 0

    def take(self, indices: list[int]) -> Frame:
        """The frame of these rows only."""
        return Frame(
            self.names, self.types, {n: [c[i] for i in indices] for n, c in self.columns.items()}
        )

    def rows(self, indices: list[int] | None = None) -> list[dict[str, Any]]:
        """The rows (all, or these indices) as ``Row.asDict(recursive=True)`` gives them."""
        picked = range(self.num_rows) if indices is None else indices
        return [
            {n: spark_value(self.types[n], self.columns[n][i]) for n in self.names} for i in picked
        ]


class Table:
    """One Delta table opened with delta-rs (its protocol checked)."""

    def __init__(self, dt: Any, path: str) -> None:
        self.dt = dt
        self.path = path
        self.deletion_vectors = "deletionVectors" in set(dt.protocol().reader_features or ())
        self.fields = {f.name: f.type for f in dt.schema().fields}

    @property
    def version(self) -> int:
        return int(self.dt.version())

    def read(self, columns: list[str] | None = None, predicate: str | None = None) -> Frame:
        """The live rows (``predicate``: a DataFusion SQL filter), as Python values.

        Without a predicate, a table of more than :data:`MAX_ROWS` rows is Unavailable: turning
        it into Python values would take longer than starting Spark.
        """
        names = columns or list(self.fields)
        if predicate is None and self.stored_rows() > MAX_ROWS:
            raise Unavailable(f"{self.path} has more than {MAX_ROWS} rows to read in Python")
        try:
            table = self.dt.scan(columns=names, predicate=predicate).read_all()
            values = {n: list(table.column(n).to_pylist()) for n in names}
        except Exception as exc:
            raise Unavailable(f"delta-rs cannot read {self.path}: {exc}") from exc
        return Frame(names, {n: self.fields[n] for n in names}, values)

    def _record_counts(self) -> list[int | None]:
        try:
            return list(self.dt.get_add_actions(flatten=True).column("num_records").to_pylist())
        except Exception:
            return [None]

    def stored_rows(self) -> int:
        """Rows in the table's files (deleted ones included; 0 when the log has no counts)."""
        return sum(c for c in self._record_counts() if c is not None)

    def count(self) -> int:
        """The exact number of live rows."""
        counts = self._record_counts()
        if not self.deletion_vectors and None not in counts:
            return int(sum(c for c in counts if c is not None))
        return self.read([next(iter(self.fields))], predicate="true").num_rows


def open_table(store: Store, path: str) -> Table | None:
    """The table at ``path``, or None when there is none; Unavailable when delta-rs may not read it."""
    if not store.exists_table(path):
        return None
    try:
        from deltalake import DeltaTable
    except ImportError as exc:  # an optional speed-up: without it, Spark answers
        raise Unavailable("the deltalake package is not installed") from exc
    try:
        dt = DeltaTable(store.table_uri(path), storage_options=store.options or None)
        protocol = dt.protocol()
        config = dt.metadata().configuration or {}
        partitioned = bool(dt.metadata().partition_columns)
    except Exception as exc:
        raise Unavailable(f"delta-rs cannot open {path}: {exc}") from exc
    features = set(protocol.reader_features or ())
    if protocol.min_reader_version > 3 or features - READER_FEATURES:
        raise Unavailable(
            f"{path} needs reader protocol {protocol.min_reader_version} with "
            f"{sorted(features - READER_FEATURES)}"
        )
    if config.get("delta.columnMapping.mode", "none") != "none":
        raise Unavailable(f"{path} uses column mapping")
    if partitioned:
        raise Unavailable(f"{path} is partitioned")
    return Table(dt, path)


def sql_string(value: str) -> str | None:
    """A DataFusion SQL string literal, or None when the value is not plainly quotable."""
    if any(c == "\\" or ord(c) < 0x20 for c in value):
        return None
    return "'" + value.replace("'", "''") + "'"


# ------------------------------------------------------------------------------- values


def spark_local(value: datetime) -> datetime:
    """An aware timestamp as PySpark's ``collect()`` returns it: naive, in the local zone."""
    micros = (value.astimezone(timezone.utc) - _EPOCH) // _MICRO
    return datetime.fromtimestamp(micros // 1_000_000).replace(microsecond=micros % 1_000_000)


def spark_value(t: Any, value: Any) -> Any:
    """One ``to_pylist()`` value of delta-rs type ``t`` as Spark's ``collect()`` gives it."""
    if value is None:
        return None
    kind = type_name(t)
    if kind in _PLAIN or kind.startswith("decimal"):
        return value
    if kind == "timestamp":
        return spark_local(value)
    if kind == "struct":
        return {f.name: spark_value(f.type, value.get(f.name)) for f in t.fields}
    if kind == "array":
        return [spark_value(t.element_type, v) for v in value]
    if kind == "map":
        if isinstance(t, str):  # a type written as text (the doctest): map<string,long>
            return dict(value)
        return {spark_value(t.key_type, k): spark_value(t.value_type, v) for k, v in value}
    if kind == "binary":
        return bytearray(value)
    raise Unavailable(f"no Spark value for Delta type {kind}")
