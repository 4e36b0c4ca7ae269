"""The read-only commands try :mod:`lakeport.readonly` first and start Spark only when it cannot
answer (it then says why in one debug line; ``-v`` shows it).

Example:
    >>> def status(ctx):  # doctest: +SKIP
    ...     result = served(ctx, lambda lake: lake.batch(ctx.args.batch_id))
    ...     return result if result is not None else ctx.lakeport().batch(ctx.args.batch_id)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from lakeport.cli.context import Context
from lakeport.errors import LakeportError

if TYPE_CHECKING:
    from lakeport.readonly import ReadOnlyLake

log = logging.getLogger("lakeport.readonly")
T = TypeVar("T")


def served(ctx: Context, read: Callable[[ReadOnlyLake], T]) -> T | None:
    """``read`` on the lake without Spark, or None when Spark has to answer.

    A LakeportError is an answer (no such batch, unknown namespace) and propagates; anything
    else that goes wrong means "ask Spark".
    """
    try:
        from lakeport.readonly import ReadOnlyLake, Unavailable, enabled
    except ImportError as exc:  # pragma: no cover - a broken pyarrow install
        log.debug("read-only path unavailable (%s); starting Spark", exc)
        return None
    if not enabled():
        return None
    try:
        return read(ReadOnlyLake(ctx.config()))
    except LakeportError:
        raise
    except Unavailable as exc:
        log.debug("read-only path cannot answer (%s); starting Spark", exc)
    except Exception as exc:
        log.debug("read-only path failed (%s: %s); starting Spark", type(exc).__name__, exc)
    return None
