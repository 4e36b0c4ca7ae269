"""Where everything lives in a lake root (a local path or any Hadoop filesystem URI).

``<root>/datasets/<name>/``       one Delta table per dataset (+ ``_batch_id``, ``_ingested_at``, ``_source_file``)
``<root>/profiles/<policy>/``     unified profiles of one merge policy
``<root>/identity_graph/``        (namespace, id) -> profile id
``<root>/system/<table>/``        batches, errors, events, source files and locks, profile builds
``<root>/staging/<batch>/``       files uploaded into an open batch

Every name that becomes a path is checked first (:mod:`lakeport.spec.names`).

Example:
    >>> Lake("./lake").dataset_path("loyalty")
    './lake/datasets/loyalty'
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeport.spec.names import SIMPLE_NAME, SIMPLE_NAME_RULE, check_batch_id, check_name

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
