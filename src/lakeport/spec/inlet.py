"""``inlet:`` in lakeport.yaml: the HTTP streaming inlet (``lakeport inlet serve``).

Each inlet dataset names the source whose landing location its records are written to; the
stream (``lakeport sources stream <source>``) takes them from there. Checks that need the rest of
the file (the source exists, feeds that dataset, is local JSON Lines) are in
:mod:`lakeport.config.inlet`.

Example:
    >>> InletSettings.model_validate({"datasets": {"people": {"source": "people_inlet"}}}).max_body_bytes
    1048576
"""

from __future__ import annotations

from pydantic import Field

from lakeport.spec.base import Strict


class InletAuth(Strict):
    """Bearer-token authentication: ``Authorization: Bearer <token>`` on every request."""

    # the value must come from the environment (${INLET_TOKEN}); a literal is refused at load
    token: str = Field(min_length=16, max_length=4096)


class InletDataset(Strict):
    """One dataset the inlet accepts records for."""

    source: str = Field(min_length=1)


class InletSettings(Strict):
    """The inlet: which datasets it accepts, size limits, landing-file rotation, auth."""

    datasets: dict[str, InletDataset] = Field(default_factory=dict)
    auth: InletAuth | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1_024, le=256 * 1_048_576)
    max_record_bytes: int = Field(default=1_048_576, ge=64, le=256 * 1_048_576)
    rotate_bytes: int = Field(default=8 * 1_048_576, ge=1_024, le=1_073_741_824)
    rotate_seconds: float = Field(default=1.0, ge=0.05, le=3_600)
