"""Where everything lives in a lake root (a local path or any Hadoop filesystem URI).

``<root>/datasets/<name>/``       one Delta table per dataset (+ ``_batch_id``, ``_ingested_at``, ``_source_file``)
``<root>/profiles/<policy>/``     unified profiles of one merge policy
``<root>/identity_graph/``        (namespace, id) -> profile id
``<root>/system/<table>/``        batches, errors, events, source files and locks, profile builds
``<root>/staging/<batch>/``       files uploaded into an open batch

Every name that becomes a path is checked first (:mod:`lakeport.spec.names`), and so is the root
when a lake is opened (:func:`open_lake`): ``/`` or a local directory of other files is refused.

Example:
    >>> Lake("./lake").dataset_path("loyalty")
    './lake/datasets/loyalty'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from lakeport.errors import ErrorCode, UsageError
from lakeport.spec.names import SIMPLE_NAME, SIMPLE_NAME_RULE, check_batch_id, check_name

FORCE_ENV = "LAKEPORT_LAKE_FORCE"
"""Set to 1 (true, yes) to open a lake root that :func:`open_lake` would refuse."""

SYSTEM_TABLES = (
    "batches",
    "errors",
    "events",
    "source_files",
    "source_locks",
    "profile_builds",
    "profile_merges",
    "identity_links",
)


@dataclass(frozen=True)
class Lake:
    """Paths of one lake root."""

    root: str

    def join(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def dataset_path(self, name: str) -> str:
        return self.join("datasets", check_name("dataset", name, SIMPLE_NAME, SIMPLE_NAME_RULE))

    def system_path(self, table: str) -> str:
        if table not in SYSTEM_TABLES:
            raise ValueError(f"{table!r} is not a system table ({', '.join(SYSTEM_TABLES)})")
        return self.join("system", table)

    def staging_root(self) -> str:
        return self.join("staging")

    def staging_path(self, batch_id: str) -> str:
        """``<root>/staging/<batch_id>``; the id is checked first (never ``..`` or ``a/b``)."""
        return self.join("staging", check_batch_id(batch_id))

    def graph_path(self) -> str:
        return self.join("identity_graph")

    def profiles_root(self) -> str:
        return self.join("profiles")

    def profiles_path(self, policy: str) -> str:
        return self.join("profiles", check_name("policy", policy, SIMPLE_NAME, SIMPLE_NAME_RULE))

    def checkpoint_path(self, source: str) -> str:
        return self.join(
            "system", "checkpoints", check_name("source", source, SIMPLE_NAME, SIMPLE_NAME_RULE)
        )


def _local_dir(root: str) -> str | None:
    """The local path of a root (a plain path or ``file:``), or None for other filesystems."""
    if root.startswith("file:"):
        return urlsplit(root).path or "/"
    return None if "://" in root else root


def open_lake(root: str, *, force: bool = False) -> Lake:
    """The lake at ``root``, refusing a local root that lakeport must not write into.

    Refused (unless ``force`` or ``$LAKEPORT_LAKE_FORCE`` is 1/true/yes): the filesystem root, a
    file, and a directory that holds other entries (hidden ones do not count) but neither
    ``datasets/`` nor ``system/``. A missing or empty directory is fine (it is created on the first
    write); object-store and HDFS roots are not looked into.

    Raises:
        UsageError: with code LAKE_ROOT_REFUSED (exit code 2), naming the root and what is in it.

    Example:
        >>> open_lake("/")
        Traceback (most recent call last):
        ...
        lakeport.errors.UsageError: lake root '/' is the filesystem root; ...
    """
    local = _local_dir(root)
    forced = force or os.environ.get(FORCE_ENV, "").strip().lower() in ("1", "true", "yes")
    if local is None or forced:
        return Lake(root)
    real = os.path.realpath(local)
    where = "point lake.root, --lake or $LAKEPORT_LAKE at"
    if os.path.dirname(real) == real:
        raise UsageError(
            f"lake root {root!r} is the filesystem root; {where} a directory of its own (or set "
            f"{FORCE_ENV}=1 to use it anyway)",
            code=ErrorCode.LAKE_ROOT_REFUSED,
        )
    if os.path.exists(real) and not os.path.isdir(real):
        raise UsageError(
            f"lake root {root!r} is a file, not a directory; {where} a directory",
            code=ErrorCode.LAKE_ROOT_REFUSED,
        )
    try:
        entries = sorted(e for e in os.listdir(real) if not e.startswith("."))
    except OSError:  # missing (created on the first write) or unreadable (the write says why)
        return Lake(root)
    if entries and not any(os.path.isdir(os.path.join(real, d)) for d in ("datasets", "system")):
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise UsageError(
            f"lake root {root!r} holds other files ({shown}) and no lake (no datasets/ or system/ "
            f"inside); {where} an empty or new directory (or set {FORCE_ENV}=1 to write there "
            "anyway)",
            code=ErrorCode.LAKE_ROOT_REFUSED,
        )
    return Lake(root)
