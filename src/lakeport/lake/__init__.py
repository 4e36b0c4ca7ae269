"""The lake: its layout, the system tables and their typed records, Delta writes, events, clock.

``layout`` (paths), ``fs`` (Hadoop filesystem operations), ``delta`` (scoped, idempotent writes
and conflict classification), ``tables`` (system table schemas), ``records`` (typed catalog rows
and batch results), ``catalog`` (``system/batches``), ``events`` (one event type, one emitter),
``notify`` (webhooks), ``clock`` (aware UTC), ``hooks`` (fault injection for the crash tests).
"""
