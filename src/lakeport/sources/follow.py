"""``sources stream --profiles``: the identity graph and every policy's profiles follow the stream.

After each micro-batch's batch is committed and its files marked, and before Spark commits the
epoch to the checkpoint, the stream runs the incremental profile build
(:func:`lakeport.profiles.build`, every policy). The build keys its work on batch ids, not on
epochs: each target remembers the batches it covered, so a replayed micro-batch (same epoch, same
batch id, a no-op for the dataset) finds nothing new and leaves the graph and the profiles as
they are, and a build that a crash interrupted is finished by the next one (it covers every
batch not covered yet). Checkpoint ``stream-profiles-e<N>`` follows the build of epoch N.

Example:
    >>> follow_profiles(spark, cfg, "landing", 3)["policies"]["timestamp_ordered"]["mode"]  # doctest: +SKIP
    'incremental'
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lakeport import profiles
from lakeport.errors import ProfileBuildError
from lakeport.lake.hooks import checkpoint

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config import Config

log = logging.getLogger(__name__)


def follow_profiles(
    spark: SparkSession, cfg: Config, name: str, epoch_id: int | None
) -> dict[str, Any]:
    """Build the profiles incrementally after epoch ``epoch_id``; returns the build's JSON.

    A build that fails as a build (``PROFILE_BUILD_FAILED``: no profile data yet, or Spark
    failed inside it) leaves the tables as they were and the stream going; its JSON is then
    ``{"error": {"code", "message"}}`` and the next micro-batch's build covers what it missed.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source (for the log).
        epoch_id: the micro-batch (for the log and the checkpoint); None for the build after
            the batches a crashed run left were finished at start.

    Returns:
        :meth:`lakeport.profiles.ProfileBuild.to_json`, or the error.
    """
    try:
        built = profiles.build(spark, cfg)
    except ProfileBuildError as exc:
        log.error(
            "source %s: epoch %s: profiles not updated [%s]: %s; the next micro-batch tries again",
            name,
            epoch_id,
            exc.code,
            exc.message,
        )
        return {"error": {"code": str(exc.code), "message": exc.message}}
    if epoch_id is not None:
        checkpoint(f"stream-profiles-e{epoch_id}")
    out = built.to_json()
    modes = {p: part.get("mode") for p, part in built.policies.items()}
    log.info(
        "source %s: epoch %s: profiles %s in %.1f s (graph %s)",
        name,
        epoch_id,
        modes,
        built.duration_seconds,
        (built.identity_graph or {}).get("mode"),
    )
    return out
