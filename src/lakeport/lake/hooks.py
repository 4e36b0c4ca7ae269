"""Fault injection for the crash tests, in one place (never set these in production).

``LAKEPORT_TEST_CRASH_AT=<step>`` makes the process exit at once (exit code 137, as a SIGKILL
would) when it reaches ``<step>``; ``LAKEPORT_TEST_PAUSE_AT=<step>[:seconds]`` makes it print
``lakeport: test pause at <step>`` on stderr and sleep there (default an hour). Production code
marks its commit points with :func:`checkpoint`; without the variables a checkpoint does nothing.

Steps: ``batch-processing``, ``batch-committed``, ``batch-errors``, ``batch-recorded``
(a batch); ``locked``, ``claimed``, ``ingested``, ``marked`` (``sources run``);
``stream-claimed-e<N>``, ``stream-ingested-e<N>``, ``stream-marked-e<N>``,
``stream-profiles-e<N>`` (epoch N of a stream);
``after_data``, ``after_manifest``, ``after_publish`` (an export); ``merges-written``,
``graph-written`` (a profile build).

Example:
    >>> checkpoint("claimed")      # exits here when LAKEPORT_TEST_CRASH_AT=claimed
"""

from __future__ import annotations

import os
import sys
import time

CRASH_ENV = "LAKEPORT_TEST_CRASH_AT"
PAUSE_ENV = "LAKEPORT_TEST_PAUSE_AT"
CRASH_EXIT_CODE = 137
_exit = os._exit  # a module attribute, so that an in-process test can intercept the exit


def checkpoint(step: str) -> None:
    """Crash or pause at ``step`` when a test asks for it."""
    if os.environ.get(CRASH_ENV) == step:
        print(f"lakeport: test crash at {step}", file=sys.stderr, flush=True)
        _exit(CRASH_EXIT_CODE)
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        name, _, seconds = pause.partition(":")
        if name == step:
            print(f"lakeport: test pause at {step}", file=sys.stderr, flush=True)
            time.sleep(float(seconds or 3600))
