"""Region align and namespace placement: drivers/nvdimm/region_devs.c, namespace_devs.c.

Offsets are region-relative bytes (SPA offset = per-DIMM DPA offset × ways, which
first-fit with equal sizes gives when every DIMM has the same free map;
docs/kernel-model.md §7.2).  Free extents are trimmed inward to the region align and busy extents expanded
outward (v5.7 2522afb86a8c).  A region is a short list of extents, so cost grows with
the number of namespaces, never with the bytes.
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

    def __init__(self, size: int, granule: int) -> None:
        self.size = size
        self.granule = max(1, granule)   # region align (5.7+) or PAGE_SIZE × ways
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

    def max_available_extent(self) -> int:
        """nd_pmem_max_contiguous_dpa(): the largest reserved piece, trimmed to the granule."""
        g = self.granule
        best = 0
        for lo, hi in self._reserved():
            a, b = align_up(lo, g), align_down(hi, g)
            if b - a > best:
                best = b - a
        return best

    def first_fit(self, size: int) -> Optional[int]:
        """Lowest offset of a free extent that holds ``size`` contiguously (PMEM is all-or-nothing)."""
        g = self.granule
        for lo, hi in self._gaps:
            a, b = align_up(lo, g), align_down(hi, g)
            if b - a >= size:
                return a
        return None

    def raw_free(self) -> List[Extent]:
        """Free space without trimming (the region's own share of the section map)."""
        return list(self._gaps)
