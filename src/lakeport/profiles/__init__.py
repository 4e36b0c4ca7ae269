"""Profiles: identities -> connected components -> identity graphs -> merged profiles; lookup.

Rules (SEMANTICS.md, "Identities and profiles"): every row of a ``profile`` or ``event`` dataset
that carries two or more identities links them; connected components over all links are identity
graphs; one graph is one profile. Guardrails stop one shared value from collapsing many people
into one profile; every drop is a row in ``system/errors`` (severity ``identity``).

Example:
    >>> from lakeport import profiles
    >>> profiles.build(spark, cfg).to_json()["policies"].keys()  # doctest: +SKIP
    dict_keys(['timestamp_ordered', 'loyalty_first'])
    >>> profiles.lookup(spark, cfg, "email", "daniel@example.com").attributes["person"]["firstName"]  # doctest: +SKIP
    'Danny'
"""

from lakeport.profiles.build import build
from lakeport.profiles.lookup import lookup, profile_events
from lakeport.profiles.results import Profile, ProfileBuild

__all__ = ["Profile", "ProfileBuild", "build", "lookup", "profile_events"]
