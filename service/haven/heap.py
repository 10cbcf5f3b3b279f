"""Keeps what a process builds at start out of the garbage collector's full passes.

A worker or an API process holds, for its whole life, the compiled policy pack, the ORM's
mappers and everything its libraries made on import: 170,000-180,000 objects (the count it
logs as `process.heap_frozen`) that CPython's cyclic collector walks on every full pass,
holding the interpreter lock throughout. Measured
with `bench/pipeline.py --gc-log` (bench/README.md), a worker's full passes under load held
it for 250-500 ms each, the API's for up to 160 ms, and every post in flight in the process
waited them out: a slow tail that no work on the path itself removes.

Frozen (`gc.freeze`) once start-up is done, those objects are never walked again; what the
process makes afterwards is collected as before. Freezing keeps objects alive only where
they are garbage in a reference cycle, which the start-up heap does not make: a policy set
that a reload replaces is freed by reference counting (tests/unit/service/test_heap.py).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("haven.heap")


def freeze_start_up_heap() -> None:
    """Call once, when a process has built what it keeps and before its first post (a second
    call would add only what is new, for the price of another full collection)."""
    gc.collect()  # start-up's own garbage freed now, not frozen for the process's life
    gc.freeze()
    log.info("process.heap_frozen", extra={"count": gc.get_freeze_count()})


__all__ = ["freeze_start_up_heap"]
