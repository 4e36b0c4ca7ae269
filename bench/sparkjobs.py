"""Which Spark jobs a piece of driver code ran, and for how long (from Spark's status store).

Example:
    >>> with JobCapture(spark, "ingest-1") as cap:
    ...     ingest(...)
    >>> cap.jobs()  # [{"id": 12, "seconds": 3.1, "name": "first at ...", ...}, ...]
"""

from __future__ import annotations

import itertools
from typing import Any

_COUNTER = itertools.count()


class JobCapture:
    """Tags the Spark jobs run by this thread with a fresh job group while the block runs."""

    def __init__(self, spark: Any, label: str) -> None:
        self.spark = spark
        self.group = f"bench-{label}-{next(_COUNTER)}"

    def __enter__(self) -> JobCapture:
        self.spark.sparkContext.setJobGroup(self.group, "")
        return self

    def __exit__(self, *exc: object) -> None:
        self.spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        self.spark.sparkContext.setLocalProperty("spark.job.description", None)

    def job_ids(self) -> list[int]:
        return sorted(
            int(i) for i in self.spark.sparkContext.statusTracker().getJobIdsForGroup(self.group)
        )

    def jobs(self) -> list[dict[str, Any]]:
        """Per job: id, name (call site), description, seconds (submission to completion), stages, tasks."""
        ids = set(self.job_ids())
        if not ids:
            return []
        try:
            store = self.spark.sparkContext._jsc.sc().statusStore()
            out = []
            for i in sorted(ids):
                data = store.job(i)
                sub, done = data.submissionTime(), data.completionTime()
                seconds = None
                if sub.isDefined() and done.isDefined():
                    seconds = (done.get().getTime() - sub.get().getTime()) / 1000
                desc = data.description()
                out.append(
                    {
                        "id": i,
                        "name": str(data.name()),
                        "description": str(desc.get()) if desc.isDefined() else "",
                        "seconds": seconds,
                        "stages": int(data.stageIds().size()),
                        "tasks": int(data.numTasks()),
                        "status": str(data.status()),
                    }
                )
            return out
        except Exception as exc:  # the status store is internal API: degrade to ids only
            return [
                {
                    "id": i,
                    "name": f"? ({type(exc).__name__})",
                    "description": "",
                    "seconds": None,
                    "stages": 0,
                    "tasks": 0,
                    "status": "?",
                }
                for i in sorted(ids)
            ]
