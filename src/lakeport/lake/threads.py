"""Overlap a few small commits: most of a small Delta commit is driver work, not Spark tasks.

Example:
    >>> concurrently(lambda: 1, lambda: 2)
    [1, 2]
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any


def concurrently(*actions: Callable[[], Any], name: str = "lakeport") -> list[Any]:
    """Run ``actions`` in threads (their Spark jobs and Delta commits overlap) and return their
    results in argument order; every action ends before this returns, and the first failure,
    in argument order, is raised."""
    with ThreadPoolExecutor(max_workers=len(actions), thread_name_prefix=name) as pool:
        futures = [pool.submit(a) for a in actions]
        wait(futures)
    return [f.result() for f in futures]
