"""``profiles:`` in ``conf/lakeport.yaml``: guardrails, identity rules and merge policies.

Example:
    >>> ProfilesSettings.model_validate({"default_policy": "ts", "policies": {"ts": {}}}).policies["ts"].merge
    'timestamp_ordered'
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from lakeport.spec.base import Problems, Strict
from lakeport.spec.schema import MAX_IDENTITY_LENGTH


class Guardrails(Strict):
    """Limits that stop one shared value from collapsing many people into one profile."""

    max_identities_per_graph: int = Field(default=50, ge=2, le=100_000)
    max_identities_per_record: int = Field(default=20, ge=2, le=10_000)
    max_identity_length: int = Field(default=MAX_IDENTITY_LENGTH, ge=1, le=65_536)


class JunkRegex(Strict):
    """A junk value given as a Java regular expression that must match the whole value."""

    regex: str = Field(min_length=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression ({exc})") from None
        return value


# a junk value is a literal string or {regex: ...}; the discriminator keeps a bad regex from
# also being reported as "expected a string" (tags named tagged-union-*: messages skip them)
JunkItem = Annotated[
    Annotated[str, Tag("tagged-union-literal")] | Annotated[JunkRegex, Tag("tagged-union-regex")],
    Discriminator(lambda v: "tagged-union-" + ("literal" if isinstance(v, str) else "regex")),
]


class NamespaceRules(Strict):
    """One identity namespace: normalisation before matching, its junk values, uniqueness."""

    normalise: list[Literal["trim", "lower", "upper", "digits", "e164"]] = Field(
        default_factory=list
    )
    junk: list[JunkItem] = Field(default_factory=list)
    unique: bool = False


class IdentityRules(Strict):
    """Rules of an identity service: junk values, unique namespaces, priority, normalisation."""

    default_junk: bool = True
    priority: list[str] = Field(default_factory=list)
    namespaces: dict[str, NamespaceRules] = Field(default_factory=dict)

    @field_validator("namespaces", mode="before")
    @classmethod
    def _empty_means_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {} if v is None else v for k, v in value.items()}
        return value

    @field_validator("priority")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a namespace is listed twice; list each namespace once")
        return value


class MergePolicy(Strict):
    """How fragments become one profile: which identity graph, and which value wins."""

    merge: Literal["timestamp_ordered", "dataset_precedence"] = "timestamp_ordered"
    identity_graph: Literal["stitched", "none"] = "stitched"
    datasets: list[str] | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _datasets_for_precedence(self) -> MergePolicy:
        if self.merge == "dataset_precedence" and not self.datasets:
            raise Problems(
                [
                    (
                        "datasets",
                        "dataset_precedence needs the ordered list of datasets, first wins; "
                        "add datasets: [<first>, <second>, ...]",
                    )
                ]
            )
        if self.merge == "timestamp_ordered" and self.datasets is not None:
            raise Problems(
                [
                    (
                        "datasets",
                        "only dataset_precedence takes a dataset list (timestamp_ordered merges every "
                        "profile dataset); remove it or set merge: dataset_precedence",
                    )
                ]
            )
        if self.datasets and len(set(self.datasets)) != len(self.datasets):
            raise Problems([("datasets", "a dataset is listed twice; list each dataset once")])
        return self


class ProfilesSettings(Strict):
    """Identity stitching and the merge policies, one profiles table per policy."""

    default_policy: str = "timestamp_ordered"
    guardrails: Guardrails = Field(default_factory=Guardrails)
    identity_rules: IdentityRules = Field(default_factory=IdentityRules)
    # connected components finish on the driver once this many links remain (0: never)
    driver_max_links: int = Field(default=20_000_000, ge=0, le=200_000_000)
    policies: dict[str, MergePolicy] = Field(
        default_factory=lambda: {"timestamp_ordered": MergePolicy()}
    )

    @field_validator("policies", mode="before")
    @classmethod
    def _empty_policy_means_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {} if v is None else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _policy_names(self) -> ProfilesSettings:
        problems = [
            (
                f"policies.{name}",
                "a policy name must be lower-case letters, digits and '_', starting with a letter "
                "(it names the directory profiles/<policy>/); rename it",
            )
            for name in self.policies
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name)
        ]
        if not self.policies:
            problems.append(("policies", "declare at least one merge policy"))
        elif self.default_policy not in self.policies:
            problems.append(
                (
                    "default_policy",
                    f"{self.default_policy!r} is not a policy here; use one of: "
                    f"{', '.join(self.policies)}",
                )
            )
        if problems:
            raise Problems(problems)
        return self
