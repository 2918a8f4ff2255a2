"""Python's cyclic garbage collector paused for a bounded piece of work."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0  # blocks (of any thread) running in collector_paused
_restore = False  # whether the collector was enabled when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without automatic cycle collections. A batch keeps thousands of young objects alive
    until it ends, so every few milliseconds the collector would walk the whole heap only to find none of
    them garbage; reference counting still frees everything acyclic, and the few cycles wait for the next
    collection after the block. Only for work of bounded size. Nests, also across threads; a collector that
    was already disabled stays disabled."""
    global _inside, _restore
    with _lock:
        if _inside == 0:
            _restore = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _restore:
                gc.enable()
