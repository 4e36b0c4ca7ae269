"""What a profile build and a profile lookup return: frozen dataclasses with ``to_json()``.

Example:
    >>> p = lookup(spark, cfg, "email", "daniel@example.com")  # doctest: +SKIP
    >>> p.attributes["person"]["firstName"], p.to_json()["profileId"] == p.profile_id  # doctest: +SKIP
    ('Danny', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
