"""BTT (sector mode) layout and usable capacity of a pmem namespace.

Models the arithmetic of the Linux libnvdimm BTT driver (``drivers/nvdimm/``):

* ``btt.c: nvdimm_namespace_attach_btt()`` -- ``rawsize = capacity - initial_offset``
  and the -ENXIO refusal when that is below one minimum arena (16 MiB);
* ``btt.c: create_arenas()`` -- the raw space cut into arenas of at most 512 GiB, an
  under-16 MiB tail dropped, ``nextoff``;
* ``btt.c: alloc_arena()`` -- the per-arena split into info block / data / map /
  flog / backup info block;
* ``btt.c: btt_init()``/``btt_blk_init()`` -- ``sector_size`` and the reported size
  (external LBAs x sector_size);
* ``btt_devs.c`` -- ``initial_offset`` per BTT version (4 KiB for v1.1, 0 for v2.0)
  and the supported lbasizes;
* constants from ``btt.h`` and ``nd.h``.

The capacity arithmetic has been stable since Linux 4.15 (the log-padding fix changed
the flog slot layout, not its size). Written from the formulas in
docs/kernel-model.md §9, not from kernel source. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

from ..causes import Cause
from ..errors import BttError

__all__ = [
    "ARENA_MIN_SIZE",
    "ARENA_MAX_SIZE",
    "BTT_MIN_SIZE",
    "BTT_PG_SIZE",
    "MAP_ENT_SIZE",
    "LOG_GRP_SIZE",
    "ND_MAX_LANES",
    "BTT_DEFAULT_NFREE",
    "INT_LBASIZE_ALIGNMENT",
    "BTT1_START_OFFSET",
    "BTT2_START_OFFSET",
    "BTT_LBASIZE_SUPPORTED",
    "BttError",
    "BttArena",
    "BttLayout",
    "btt_initial_offset",
    "btt_internal_lbasize",
    "btt_sector_size",
    "btt_arena_count",
    "btt_layout",
    "btt_usable_size",
]

# --- constants (btt.h / nd.h / ndctl namespace.h) ---------------------------------
ARENA_MIN_SIZE = 1 << 24            # 16 MiB: smallest arena create_arenas() will build
ARENA_MAX_SIZE = 1 << 39            # 512 GiB: largest arena (30-bit map LBA field)
BTT_MIN_SIZE = ARENA_MIN_SIZE       # rawsize below this -> attach fails with -ENXIO
BTT_PG_SIZE = 4096                  # info block size and layout granule
MAP_ENT_SIZE = 4                    # one map entry per external LBA
LOG_GRP_SIZE = 64                   # one flog group per lane
ND_MAX_LANES = 256
BTT_DEFAULT_NFREE = ND_MAX_LANES    # spare (free) blocks per arena
INT_LBASIZE_ALIGNMENT = 64          # internal block size is lbasize rounded up to this
BTT1_START_OFFSET = 4096            # v1.1: BTT starts 4 KiB into the namespace
BTT2_START_OFFSET = 0               # v2.0: BTT starts at namespace offset 0

BTT_LBASIZE_SUPPORTED: Tuple[int, ...] = (512, 520, 528, 4096, 4104, 4160, 4224)

_INITIAL_OFFSET: Dict[str, int] = {"1.1": BTT1_START_OFFSET, "2.0": BTT2_START_OFFSET}

# flog: 256 lanes x 64 B, rounded up to a page (= 16 KiB)
_LOGSIZE = -(-(BTT_DEFAULT_NFREE * LOG_GRP_SIZE) // BTT_PG_SIZE) * BTT_PG_SIZE
# info + info2 + flog + one page reserved for map rounding (= 28 KiB)
_ARENA_FIXED = 2 * BTT_PG_SIZE + _LOGSIZE + BTT_PG_SIZE


@dataclass(frozen=True)
class BttArena:
    """One arena. ``offset`` is namespace-relative; the other offsets are relative to
    the arena start, as the info block stores them."""

    offset: int            # namespace offset of the arena (its info block)
    size: int              # arena size as cut by create_arenas() (may have a non-4K tail)
    internal_nlba: int
    external_nlba: int
    internal_lbasize: int
    mapoff: int
    logoff: int
    info2off: int
    dataoff: int
    nextoff: int           # size of this arena if another one follows, else 0

    @property
    def datasize(self) -> int:
        return self.mapoff - self.dataoff

    @property
    def mapsize(self) -> int:
        return self.logoff - self.mapoff

    @property
    def logsize(self) -> int:
        return self.info2off - self.logoff


@dataclass(frozen=True)
class BttLayout:
    """The BTT the kernel lays out on a fresh namespace, and what ndctl reports."""

    capacity: int          # raw namespace size in bytes
    lbasize: int           # BTT (external) lbasize, what ndctl shows as sector_size
    sector_size: int       # block-device sector: 4096 if lbasize >= 4096 else 512
    version: str           # "1.1" or "2.0"
    initial_offset: int    # namespace offset where the first arena starts
    arenas: Tuple[BttArena, ...]
    usable_size: int       # sum(external_nlba) * sector_size (ndctl "size")
    lost: int              # capacity - usable_size
    unused_tail: int       # bytes after the end of the last arena (< 16 MiB)

    @property
    def nlba(self) -> int:
        return sum(a.external_nlba for a in self.arenas)


# --- small helpers -------------------------------------------------------------------

def btt_initial_offset(version: str) -> int:
    """Namespace offset of the first arena: 4096 for BTT v1.1, 0 for v2.0."""
    try:
        return _INITIAL_OFFSET[version]
    except KeyError:
        raise BttError(errno="EINVAL", cause=Cause.BTT_VERSION,
                       message=f"unknown BTT version {version!r} (expected 1.1 or 2.0)") from None


def btt_internal_lbasize(lbasize: int) -> int:
    """Internal block size: lbasize rounded up to 64 (520/528 -> 576, 4104 -> 4160)."""
    a = INT_LBASIZE_ALIGNMENT
    return -(-lbasize // a) * a


def btt_sector_size(lbasize: int) -> int:
    """Block-device sector size the BTT exposes for ``lbasize``."""
    return 4096 if lbasize >= 4096 else 512


def _check_lbasize(lbasize: int) -> None:
    if lbasize not in BTT_LBASIZE_SUPPORTED:
        # The kernel's btt sector_size attribute refuses the write with -EINVAL.
        supported = ", ".join(str(s) for s in BTT_LBASIZE_SUPPORTED)
        raise BttError(errno="EINVAL", cause=Cause.BTT_SECTOR_SIZE,
                       message=f"unsupported BTT sector size {lbasize} (supported: {supported})")


def _rawsize(capacity: int, version: str, name: str) -> Tuple[int, int]:
    """(initial_offset, rawsize), refusing a rawsize below one minimum arena."""
    offset = btt_initial_offset(version)
    raw = capacity - offset
    if raw < ARENA_MIN_SIZE:
        raise BttError(errno="ENXIO", cause=Cause.BTT_TOO_SMALL,
                       message=f"{name} must be at least {ARENA_MIN_SIZE + offset} bytes")
    return offset, raw


def _arena_internal_nlba(size: int, ilba: int) -> int:
    """internal_nlba of an arena of ``size`` bytes: floor((A4 - 28 KiB) / (ilba + 4))."""
    a4 = size - size % BTT_PG_SIZE
    return (a4 - _ARENA_FIXED) // (ilba + MAP_ENT_SIZE)


def _arena_external_nlba(size: int, ilba: int) -> int:
    return _arena_internal_nlba(size, ilba) - BTT_DEFAULT_NFREE


def _build_arena(offset: int, size: int, ilba: int, nextoff: int) -> BttArena:
    a4 = size - size % BTT_PG_SIZE
    # available space once the two info blocks and the flog are taken out
    avail = a4 - 2 * BTT_PG_SIZE - _LOGSIZE
    internal_nlba = (avail - BTT_PG_SIZE) // (ilba + MAP_ENT_SIZE)
    external_nlba = internal_nlba - BTT_DEFAULT_NFREE
    mapsize = -(-(external_nlba * MAP_ENT_SIZE) // BTT_PG_SIZE) * BTT_PG_SIZE
    datasize = avail - mapsize
    dataoff = BTT_PG_SIZE
    mapoff = dataoff + datasize
    logoff = mapoff + mapsize
    info2off = logoff + _LOGSIZE
    return BttArena(offset=offset, size=size, internal_nlba=internal_nlba,
                    external_nlba=external_nlba, internal_lbasize=ilba,
                    mapoff=mapoff, logoff=logoff, info2off=info2off,
                    dataoff=dataoff, nextoff=nextoff)


# --- public API ------------------------------------------------------------------------

def btt_arena_count(capacity: int, version: str = "1.1") -> int:
    """Number of arenas create_arenas() builds (0 if the namespace is too small)."""
    raw = capacity - btt_initial_offset(version)
    if raw < ARENA_MIN_SIZE:
        return 0
    full, rem = divmod(raw, ARENA_MAX_SIZE)
    return full + (1 if rem >= ARENA_MIN_SIZE else 0)


def btt_layout(capacity: int, lbasize: int = 4096, version: str = "1.1", *,
               name: str = "namespace") -> BttLayout:
    """Lay out a fresh BTT on a namespace of ``capacity`` bytes.

    Raises BttError: EINVAL for an unsupported ``lbasize`` or unknown ``version``;
    ENXIO ("<name> must be at least N bytes") when capacity - initial_offset < 16 MiB.
    Runs in O(number of arenas); every full 512 GiB arena is computed once.
    """
    _check_lbasize(lbasize)
    offset, raw = _rawsize(capacity, version, name)
    ilba = btt_internal_lbasize(lbasize)
    sector_size = btt_sector_size(lbasize)

    # create_arenas(): arenas of min(512 GiB, remaining) from the front; a last piece
    # under 16 MiB is not an arena (the loop stops) and stays unused.
    full, rem = divmod(raw, ARENA_MAX_SIZE)
    sizes = [ARENA_MAX_SIZE] * full
    if rem >= ARENA_MIN_SIZE:
        sizes.append(rem)

    arenas: List[BttArena] = []
    full_template: Optional[BttArena] = None   # all 512 GiB arenas are identical
    cur = offset
    for size in sizes:
        left_after = capacity - (cur + size)   # = remaining raw bytes after this arena
        nextoff = size if left_after >= ARENA_MIN_SIZE else 0
        if size == ARENA_MAX_SIZE:
            if full_template is None:
                full_template = _build_arena(0, size, ilba, 0)
            arena = replace(full_template, offset=cur, nextoff=nextoff)
        else:
            arena = _build_arena(cur, size, ilba, nextoff)
        arenas.append(arena)
        cur += size

    nlba = sum(a.external_nlba for a in arenas)
    usable = nlba * sector_size
    return BttLayout(capacity=capacity, lbasize=lbasize, sector_size=sector_size,
                     version=version, initial_offset=offset, arenas=tuple(arenas),
                     usable_size=usable, lost=capacity - usable,
                     unused_tail=capacity - cur)


def btt_usable_size(capacity: int, lbasize: int = 4096, version: str = "1.1", *,
                    name: str = "namespace") -> int:
    """Same as ``btt_layout(...).usable_size`` in O(1).

    Every arena but the last is exactly 512 GiB, so all full arenas are identical;
    the remainder forms one more arena only if it is at least 16 MiB.
    """
    _check_lbasize(lbasize)
    _, raw = _rawsize(capacity, version, name)
    ilba = btt_internal_lbasize(lbasize)
    full, rem = divmod(raw, ARENA_MAX_SIZE)
    nlba = full * _arena_external_nlba(ARENA_MAX_SIZE, ilba)
    if rem >= ARENA_MIN_SIZE:
        nlba += _arena_external_nlba(rem, ilba)
    return nlba * btt_sector_size(lbasize)
