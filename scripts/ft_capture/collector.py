"""Where Python's cyclic garbage collector runs during a capture.

A tensor held only by a reference cycle dies when the collector runs, and
its release event is written then (docs/CAPTURE.md §5.1). Automatic
collections follow allocation counts, which depend on everything the
process did before the capture, so the capture runs the collector itself,
at fixed points: the same program records the same bytes in any process.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

# Whether the next collection point freezes what survives it (the first
# one of a capture that froze the objects alive at its start).
_FREEZE_AT_NEXT_COLLECTION = [False]


@contextlib.contextmanager
def collector_pinned() -> Iterator[None]:
    """Python's cyclic garbage collector runs only where the capture runs
    it (docs/CAPTURE.md §5.1): automatic collection off while the capture
    runs, a full collection before each top-level `backward()`
    (`collection_point`). Automatic collections follow allocation counts,
    which depend on everything the process did before (imports, earlier
    captures), so a tensor held in a reference cycle would be released at a
    different place in each process.

    Every object the process holds at the start, garbage included, is
    frozen (`gc.freeze`: never scanned), so garbage made before the capture
    is not freed inside it; it goes back to the collector when the capture
    ends. Freezing costs nothing, where a full collection walked every
    object of the process (a quarter of a second with PyTorch imported and
    a model built, more than a short capture's own work). What survives
    the first collection point (the model, the optimizer, what the first
    step made PyTorch create lazily) is frozen too, so that each later
    collection walks only what the program made since. A process that
    froze objects itself keeps its freeze: then the start collects once
    instead, and nothing more is frozen. Restored afterwards."""
    was_enabled = gc.isenabled()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    else:
        gc.collect()
    _FREEZE_AT_NEXT_COLLECTION[0] = freeze
    gc.disable()
    try:
        yield
    finally:
        _FREEZE_AT_NEXT_COLLECTION[0] = False
        if freeze:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def collection_point() -> None:
    """The capture's collection (before each top-level `backward()`):
    cyclic garbage made since the last one dies here. After the first one,
    what survived is frozen: a full collection walked every object the
    program and PyTorch made (tens of milliseconds each step, most of the
    capture's cost on a small model), and the next walk only what is new."""
    gc.collect()
    if _FREEZE_AT_NEXT_COLLECTION[0]:
        gc.freeze()
        _FREEZE_AT_NEXT_COLLECTION[0] = False
