"""Building the registry's many small objects without the garbage collector's repeated scans."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large structure is built.

    Loading the national directory creates about a million long-lived objects; each allocation
    threshold crossed makes the collector walk everything built so far, which doubles the time
    to load. Afterwards the objects are frozen (moved out of the collector's generations): a
    full collection would otherwise walk them all again every so often while the node works,
    for nothing. Nothing built here holds reference cycles, so reference counting alone frees
    a registry once it is replaced.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
