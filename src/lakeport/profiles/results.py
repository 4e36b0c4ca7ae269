"""What a profile build and a profile lookup return: frozen dataclasses with ``to_json()``.

Example:
    >>> p = lookup(spark, cfg, "email", "daniel@example.com")  # doctest: +SKIP
    >>> p.attributes["person"]["firstName"], p.to_json()["profileId"] == p.profile_id  # doctest: +SKIP
    ('Danny', True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lakeport.lake.clock import iso
from lakeport.profiles.tables import PROFILE_SYSTEM_COLUMNS


def clean(v: Any) -> Any:
    """Attribute values as a lookup prints them: None dropped, times as ISO text.

    Example:
        >>> clean({"a": None, "b": {"c": date(2026, 1, 2)}})
        {'b': {'c': '2026-01-02'}}
    """
    if isinstance(v, dict):
        kept = {k: clean(x) for k, x in v.items()}
        return {k: x for k, x in kept.items() if x is not None} or None
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class ProfileBuild:
    """One ``profiles build``: the identity graph's part (if built) and each policy's part.

    Each part holds ``mode`` (``full``, ``incremental``, ``unchanged``), ``reason``, counts and
    the table's ``deltaVersion``, as the CLI prints them.
    """

    build_id: str
    identity_graph: dict[str, Any] | None
    policies: dict[str, dict[str, Any]]
    duration_seconds: float

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"buildId": self.build_id, "policies": dict(self.policies)}
        if self.identity_graph is not None:
            out["identityGraph"] = dict(self.identity_graph)
        out["durationSeconds"] = self.duration_seconds
        return out


@dataclass(frozen=True)
class Profile:
    """A merged profile: its id, identities, attributes, where each attribute came from."""

    profile_id: str
    policy: str
    merge: str
    identities: list[dict[str, str]]
    attributes: dict[str, Any]
    sources: dict[str, dict[str, Any]]
    events: list[dict[str, Any]] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "profileId": self.profile_id,
            "policy": self.policy,
            "merge": self.merge,
            "identities": list(self.identities),
            "attributes": self.attributes,
            "sources": self.sources,
        }
        if self.events is not None:
            out["events"] = self.events
        return out

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        *,
        policy: str,
        merge: str,
        events: Callable[[list[dict[str, str]]], list[dict[str, Any]]] | None = None,
    ) -> Profile:
        """A profile table's row (as plain Python values, whichever engine read it) as a
        :class:`Profile`; ``events`` finds the events of its identities, when asked for."""
        data = dict(row)
        provenance = data.pop("_provenance") or {}
        for c in PROFILE_SYSTEM_COLUMNS:
            data.pop(c, None)
        profile_id = data.pop("profile_id")
        identities = data.pop("identities")
        return cls(
            profile_id=profile_id,
            policy=policy,
            merge=merge,
            identities=[{"namespace": i["namespace"], "id": i["id"]} for i in identities],
            attributes=clean(data) or {},
            sources={
                path: {
                    "dataset": p["dataset"],
                    "batchId": p["batch_id"],
                    "ingestedAt": clean(p["ingested_at"]),
                }
                for path, p in sorted(provenance.items())
            },
            events=events(identities) if events is not None else None,
        )
