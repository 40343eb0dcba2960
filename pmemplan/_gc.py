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
    """Disable the cyclic GC inside the block; restore its previous state after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
