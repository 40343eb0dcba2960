"""dax kmem: drivers/dax/kmem.c, onlining a devdax range as System RAM (kernel-model §7)."""
from __future__ import annotations


from ..causes import Cause
from ..sizes import align_down, align_up
from ..result import Kmem
from .arch import ArchProfile


def dax_kmem_range(p: ArchProfile, start: int, end: int) -> Kmem:
    """Whole memory blocks of the dax range [start, end) that add_memory() can take.

    5.1: hot-add from ALIGN(start, mbs), size rounded down to mbs.  5.11 (multi-range
    dax): an empty rounded range is skipped with "mapping%d: … too small after
    alignment", and no surviving range → "rejecting DAX region without any memory
    after alignment" (-EINVAL).  The namespace itself stays enabled.
    """
    mbs = p.memory_block_size
    # v5.1 c221c0b0308f "device-dax: Hotplug persistent memory for use like normal RAM"
    if not p.kernel.at_least(5, 1):
        return Kmem(0, mbs, 0, "dax kmem (daxctl reconfigure-device --mode=system-ram) needs Linux 5.1 or later",
                    start, end, Cause.KMEM_UNSUPPORTED_KERNEL)
    if end <= start:
        # a zero-size dax device (6.1 creates one when dataoff == size - end_trunc):
        # daxctl cannot enable it, and kmem prints nothing (observed, 6.1)
        return Kmem(0, mbs, 0, "dax device has no capacity: daxctl_dev_enable: failed to enable "
                    "(No such device or address)", start, start, Cause.KMEM_NO_CAPACITY)
    lo, hi = align_up(start, mbs), align_down(end, mbs)
    if hi <= lo:
        # v5.11 60e93dc097f7 "device-dax: add dis-contiguous resource support" (per-range loop)
        if p.kernel.at_least(5, 11):
            err = (f"mapping0: {start:#x}-{end - 1:#x} too small after alignment; "
                   "rejecting DAX region without any memory after alignment")
        else:
            err = (f"dax range {start:#x}-{end - 1:#x} holds no whole {mbs >> 20}M memory block "
                   "after alignment: add_memory() refused")
        return Kmem(0, mbs, 0, err, lo, lo, Cause.KMEM_TOO_SMALL)
    return Kmem(hi - lo, mbs, (hi - lo) // mbs, None, lo, hi)
