"""One way to pause Python's cyclic garbage collector around allocation-heavy work.

pmemplan's objects (YAML nodes, platform records, results, JSON dicts) form no reference
cycles, so reference counting frees them; the cyclic collector would only rescan them
(on 10 000 namespaces it nearly doubles the run time, ``benchmarks/bench_many.py``).
The engine never touches the collector itself: the command line pauses it for its one
run, and a library caller who wants the same can wrap its calls::

    import pmemplan
    with pmemplan.gc_paused():
        result = pmemplan.compute_layout(platform)

The loader and the JSON renderer pause it around their own phase (the state is always
restored, nested pauses are fine).
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC inside the block; restore its previous state after.

    The objects made during the pause are moved to the oldest generation before the
    collector is switched back on (``gc.freeze()`` + ``gc.unfreeze()``: two list splices
    that also reset the young generation's count).  Without it the first allocation after
    the pause would trigger a young collection that walks every object the pause let
    accumulate, which is the cost the pause is there to avoid (measured: 13 M of the
    610 M instructions of ``pmemplan layout SMALL --format json``).  They stay
    collectable, with the long-lived objects.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
