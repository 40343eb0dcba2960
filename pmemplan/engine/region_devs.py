"""Region align and namespace placement: drivers/nvdimm/region_devs.c, namespace_devs.c.

Offsets are region-relative bytes (SPA offset = per-DIMM DPA offset × ways, which
first-fit with equal sizes gives when every DIMM has the same free map;
docs/kernel-model.md §7.2).  Free extents are trimmed inward to the region align and busy extents expanded
outward (v5.7 2522afb86a8c).  A region is a short list of extents, so cost grows with
the number of namespaces, never with the bytes.

Two sysfs figures, two different rules (v5.7+, drivers/nvdimm):

* ``available_size`` (nd_region_available_dpa() → nd_pmem_available_dpa()): the mapping
  size minus every allocation rounded outward to the granule, ALIGN_DOWN to the granule;
  0 when a rounded allocation passes the mapping end ("misaligned to iset").
* ``max_available_extent`` (nd_region_allocatable_dpa() → nd_pmem_max_contiguous_dpa()):
  ``available_size`` bytes are reserved first-fit ("pmem-reserve", __reserve_free_pmem()
  → scan_allocate()) in the free gaps as space_valid() trims them, and the largest piece
  is reported; 0 when the reservation fails ("pmem reserve underrun" WARN).  ndctl's
  create-namespace takes this as its capacity (§8) and refuses anything larger, a zero
  included, with ENOSPC before any size or align check.

space_valid() trims a gap to ``[ALIGN(start), ALIGN_DOWN(end + 1) - 1]``; for a gap that
ends inside the first granule of the mapping ALIGN_DOWN gives 0, the end wraps to ~0, the
"is it empty" test passes and the gap looks huge -- even an empty one, between two
allocations that touch.  That happens as soon as the second allocation starts inside the
first granule (namespaces carved at a small align, the align raised later); it is the
first gap scan_allocate() visits, so the whole reservation is requested at the granule,
``[g, g + n)``: where that collides with an allocation, __request_region() fails and
max_available_extent reads 0 while available_size does not (observed on 6.1 with the
"pmem reserve underrun" warning; the code is unchanged in current sources).
"""
from __future__ import annotations

from bisect import insort
from typing import List, Optional, Tuple

from ..sizes import align_down, align_up

Extent = Tuple[int, int]  # [start, end) region-relative


class RegionSpace:
    """The allocated extents of one region, and first-fit allocation (scan_allocate()).

    Keeps the untrimmed free gaps; trimming to the granule is applied on reading.
    Reserving splits one gap, so packing N namespaces costs O(N · gaps).
    """

    def __init__(self, size: int, granule: int, trims: bool = True) -> None:
        self.size = size
        self.granule = max(1, granule)   # region align (5.7+) or PAGE_SIZE × ways
        # v5.7 2522afb86a8c: space_valid() trims gaps to the region align (and can wrap)
        self.trims = trims
        self._busy: List[Extent] = []
        self._gaps: List[Extent] = [(0, size)] if size > 0 else []
        self._rounded = 0        # Σ allocations rounded outward to the granule
        self._past_end = 0       # allocations whose rounded end passes the region end

    def _account(self, start: int, end: int, sign: int) -> None:
        g = self.granule
        lo, hi = align_down(start, g), align_up(end, g)
        self._rounded += sign * (hi - lo)
        if hi > self.size:
            self._past_end += sign

    def reserve(self, start: int, end: int) -> None:
        insort(self._busy, (start, end))
        self._account(start, end, +1)
        for i, (lo, hi) in enumerate(self._gaps):
            if lo <= start and end <= hi:
                repl = [g for g in ((lo, start), (end, hi)) if g[1] > g[0]]
                self._gaps[i:i + 1] = repl
                return
        self._rebuild()  # overlapping reservation (caller error): keep a consistent view

    def release(self, start: int, end: int) -> None:
        self._busy.remove((start, end))
        self._account(start, end, -1)
        self._rebuild()

    def _rebuild(self) -> None:
        gaps: List[Extent] = []
        pos = 0
        for s, e in self._busy + [(self.size, self.size)]:
            if s > pos:
                gaps.append((pos, s))
            pos = max(pos, e)
        self._gaps = gaps

    def busy(self) -> List[Extent]:
        return list(self._busy)

    def free_extents(self) -> List[Extent]:
        """Free space, each gap trimmed inward to the granule; empty ones dropped."""
        g = self.granule
        out: List[Extent] = []
        for lo, hi in self._gaps:
            a, b = align_up(lo, g), align_down(hi, g)
            if b > a:
                out.append((a, b))
        return out

    def available_dpa(self) -> int:
        """nd_pmem_available_dpa(): the region's size minus every allocation rounded
        outward to the granule -- two allocations sharing one align block both count
        it -- or 0 when a rounded allocation passes the region's end ("misaligned to
        iset").  Observed on 6.1 to match available_size in every labelled snapshot."""
        if self._past_end:
            return 0
        return max(0, self.size - self._rounded)

    def _reserved(self) -> List[Extent]:
        """reserve_free_pmem(): available_dpa() bytes taken first-fit from the free gaps
        (each trimmed inward to the granule)."""
        n = self.available_dpa()
        out: List[Extent] = []
        for lo, hi in self.free_extents():
            if n <= 0:
                break
            take = min(n, hi - lo)
            out.append((lo, lo + take))
            n -= take
        return out

    def available_size(self) -> int:
        return align_down(self.available_dpa(), self.granule)

    def wrapped_gap(self) -> Optional[Extent]:
        """The gap space_valid() mis-trims (v5.7 2522afb86a8c), or None.

        scan_allocate() looks at the gap between the first two allocations before any
        other (the one before the first allocation only trims to nothing).  When the
        second allocation starts inside the first granule, ALIGN_DOWN(its start) is 0
        and the trimmed end wraps: that gap -- a hole, or nothing at all when the two
        allocations touch -- passes as unbounded and the request goes to the granule.
        Returned as ``(end of the first allocation, start of the second)``.
        """
        if not self.trims or len(self._busy) < 2:
            return None
        (_, end0), (start1, _) = self._busy[0], self._busy[1]
        if 0 < start1 < self.granule:
            return (end0, start1)
        return None

    def _is_free(self, start: int, end: int) -> bool:
        return end <= self.size and not any(s < end and start < e for s, e in self._busy)

    def max_available_extent(self) -> int:
        """nd_pmem_max_contiguous_dpa(): the largest reserved piece, trimmed to the granule.

        With a wrapped gap (:meth:`wrapped_gap`) the reservation is one request at the
        granule: ``available_dpa()`` bytes when ``[g, g + n)`` is free, else 0.
        """
        g = self.granule
        if self.wrapped_gap() is not None:
            n = self.available_dpa()
            return n if n and self._is_free(g, g + n) else 0
        best = 0
        for lo, hi in self._reserved():
            a, b = align_up(lo, g), align_down(hi, g)
            if b - a > best:
                best = b - a
        return best

    def first_fit(self, size: int) -> Optional[int]:
        """Lowest offset of a free extent that holds ``size`` contiguously (PMEM is all-or-nothing).

        With a wrapped gap scan_allocate() asks for ``[g, g + size)`` and nothing else
        (the kernel's "allocation underrun", -ENXIO, when that is taken).
        """
        g = self.granule
        if self.wrapped_gap() is not None:
            return g if self._is_free(g, g + size) else None
        for lo, hi in self._gaps:
            a, b = align_up(lo, g), align_down(hi, g)
            if b - a >= size:
                return a
        return None

    def raw_free(self) -> List[Extent]:
        """Free space without trimming (the region's own share of the section map)."""
        return list(self._gaps)
