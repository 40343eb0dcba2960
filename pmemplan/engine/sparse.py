"""The sparsemem section table: ``mem_section[]`` with its sub-section maps.

Models mm/sparse.c and include/linux/mmzone.h (docs/kernel-model.md §4).  A section is
represented only where something is in it, and runs of whole sections are kept as
intervals, so the cost of the model grows with the number of ranges added, never
with the bytes or sections they span.  Only a section that is partly used carries a
sub-section bitmap (an ``int`` of SUBSECTIONS_PER_SECTION bits).

Before v5.3 there are no sub-sections: the map is built with
``subsection_size == section_size`` and every section is simply present or not.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Dict, Iterator, List, Optional, Tuple

# One run of whole, fully-populated sections: [first, end) section numbers, early flag.
_Run = List  # [first, end, early]


class SparseMap:
    """Present sections, their sub-section maps and SECTION_IS_EARLY flags."""

    __slots__ = ("section_size", "subsection_size", "nsub", "full_mask", "_runs", "_starts",
                 "_partial", "_pkeys")

    def __init__(self, section_size: int, subsection_size: int) -> None:
        if section_size % subsection_size:
            raise ValueError("sub-section size must divide the section size")
        self.section_size = section_size
        self.subsection_size = subsection_size
        self.nsub = section_size // subsection_size
        self.full_mask = (1 << self.nsub) - 1
        self._runs: List[_Run] = []          # sorted, disjoint
        self._starts: List[int] = []         # first section of each run (for bisect)
        self._partial: Dict[int, List] = {}  # nr -> [early, mask]
        self._pkeys: List[int] = []          # sorted keys of _partial

    # -- address helpers, named as the kernel names them ---------------------------
    def pfn_to_section_nr(self, addr: int) -> int:
        """Section number of a physical address (the kernel takes a pfn; we take bytes)."""
        return addr // self.section_size

    def subsection_map_index(self, addr: int) -> int:
        return (addr % self.section_size) // self.subsection_size

    def _mask(self, start: int, end: int) -> int:
        """Bits of the sub-sections [start, end) touches, inside one section."""
        first = self.subsection_map_index(start)
        last = self.subsection_map_index(end - 1)
        return ((1 << (last - first + 1)) - 1) << first

    def _chunks(self, start: int, end: int) -> Iterator[Tuple[int, int, int]]:
        """Split [start, end) at section boundaries: (first_nr, end_nr, mask).

        A run of whole sections comes as one chunk with ``mask == full_mask``;
        a partial section as a one-section chunk with its own mask.
        """
        ss = self.section_size
        pos = start
        while pos < end:
            nr = pos // ss
            sec_end = (nr + 1) * ss
            if pos % ss == 0 and end >= sec_end:
                last = end // ss
                yield nr, last, self.full_mask
                pos = last * ss
            else:
                stop = min(end, sec_end)
                yield nr, nr + 1, self._mask(pos, stop)
                pos = stop

    # -- lookup -------------------------------------------------------------------
    def _run_at(self, nr: int) -> Optional[_Run]:
        i = bisect_right(self._starts, nr) - 1
        if i >= 0 and self._runs[i][1] > nr:
            return self._runs[i]
        return None

    def subsection_map(self, nr: int) -> int:
        """``ms->usage->subsection_map`` of section ``nr`` (0 when absent)."""
        if self._run_at(nr) is not None:
            return self.full_mask
        p = self._partial.get(nr)
        return p[1] if p else 0

    def early_section(self, nr: int) -> bool:
        """SECTION_IS_EARLY (v5.3): the section held boot memory."""
        r = self._run_at(nr)
        if r is not None:
            return bool(r[2])
        p = self._partial.get(nr)
        return bool(p and p[0])

    def valid_section(self, nr: int) -> bool:
        return self.subsection_map(nr) != 0

    def pfn_valid(self, addr: int) -> bool:
        """Generic pfn_valid(): early sections are valid whole; others per sub-section."""
        nr = self.pfn_to_section_nr(addr)
        m = self.subsection_map(nr)
        if not m:
            return False
        if self.early_section(nr):
            return True
        return bool(m >> self.subsection_map_index(addr) & 1)

    def _first_busy(self, a: int, b: int) -> Optional[int]:
        """First section in [a, b) that has any sub-section present."""
        best: Optional[int] = None
        i = bisect_right(self._starts, a) - 1
        if i >= 0 and self._runs[i][1] > a:
            return a
        if i + 1 < len(self._runs) and self._runs[i + 1][0] < b:
            best = self._runs[i + 1][0]
        j = bisect_left(self._pkeys, a)
        if j < len(self._pkeys) and self._pkeys[j] < b:
            k = self._pkeys[j]
            best = k if best is None else min(best, k)
        return best

    # -- mutation -----------------------------------------------------------------
    def _insert_run(self, a: int, b: int, early: bool) -> None:
        i = bisect_left(self._starts, a)
        # merge with neighbours of the same kind
        if i > 0 and self._runs[i - 1][1] == a and self._runs[i - 1][2] == early:
            self._runs[i - 1][1] = b
            i -= 1
        else:
            self._runs.insert(i, [a, b, early])
            self._starts.insert(i, a)
        if i + 1 < len(self._runs) and self._runs[i + 1][0] == self._runs[i][1] \
                and self._runs[i + 1][2] == early:
            self._runs[i][1] = self._runs[i + 1][1]
            del self._runs[i + 1]
            del self._starts[i + 1]

    def _set_partial(self, nr: int, early: bool, mask: int) -> None:
        if nr not in self._partial:
            self._pkeys.insert(bisect_left(self._pkeys, nr), nr)
            self._partial[nr] = [early, mask]
        else:
            p = self._partial[nr]
            p[0] = p[0] or early
            p[1] |= mask

    def _drop_partial(self, nr: int) -> None:
        del self._partial[nr]
        del self._pkeys[bisect_left(self._pkeys, nr)]

    def subsection_map_init(self, start: int, end: int) -> None:
        """Boot memory: mark [start, end) present and its sections early.

        mm/sparse.c subsection_map_init() (v5.3) sets the bit of every sub-section
        the range touches, so a partly covered 2 MiB sub-section counts as present.
        """
        for a, b, mask in self._chunks(start, end):
            pos = a
            while pos < b:
                busy = self._first_busy(pos, b)
                stop = b if busy is None else busy
                if stop > pos:
                    if mask == self.full_mask:
                        self._insert_run(pos, stop, True)
                    else:
                        self._set_partial(pos, True, mask)
                if busy is None:
                    break
                r = self._run_at(busy)
                if r is not None:  # boot ranges only meet boot ranges: already early
                    pos = r[1]
                else:
                    self._set_partial(busy, True, mask)
                    pos = busy + 1

    def section_activate(self, start: int, end: int) -> Optional[Tuple[str, int]]:
        """Hot-add [start, end) (sub-section aligned): ``__add_pages`` → ``sparse_add_section``.

        Returns None, or ("EEXIST", section_nr) at the first section whose map already
        has one of the requested bits (fill_subsection_map(), v5.3/v5.7).  Like the
        kernel's loop, it stops there and keeps what it added before.
        """
        for a, b, mask in self._chunks(start, end):
            if b - a > 1 or (mask == self.full_mask and self._partial.get(a) is None):
                busy = self._first_busy(a, b)
                stop = b if busy is None else busy
                if stop > a:
                    self._insert_run(a, stop, False)
                if busy is not None:
                    return ("EEXIST", busy)
                continue
            if self._run_at(a) is not None or self.subsection_map(a) & mask:
                return ("EEXIST", a)
            p = self._partial.get(a)
            merged = (p[1] if p else 0) | mask
            if merged == self.full_mask and not (p and p[0]):
                if p:
                    self._drop_partial(a)
                self._insert_run(a, a + 1, False)
            else:
                self._set_partial(a, False, mask)
        return None

    def add_sections_ignore_existing(self, start: int, end: int) -> int:
        """Pre-5.3 ``__add_pages``: add whole sections, silently reusing present ones.

        The "EEXIST hack" ("EEXIST is finally dealt with by ioresource collision
        check"), removed by the v5.3 sub-section series.  Returns the number of
        sections that were newly added.
        """
        ss = self.section_size
        a, b = start // ss, -(-end // ss)
        added = 0
        pos = a
        while pos < b:
            busy = self._first_busy(pos, b)
            stop = b if busy is None else busy
            if stop > pos:
                self._insert_run(pos, stop, False)
                added += stop - pos
            if busy is None:
                break
            # skip the present section(s)
            r = self._run_at(busy)
            pos = r[1] if r is not None else busy + 1
        return added

    def section_deactivate(self, start: int, end: int) -> Optional[str]:
        """Hot-remove [start, end): clear the bits; all must be set (clear_subsection_map)."""
        chunks = list(self._chunks(start, end))
        for a, b, mask in chunks:  # verify first, as the kernel WARNs and bails
            for nr in (range(a, b) if b - a <= 2 else (a, b - 1)):
                if self.subsection_map(nr) & mask != mask:
                    return f"section already deactivated ({nr * self.section_size:#x} + {mask:#x})"
            if b - a > 2:
                pos = a
                while pos < b:
                    r = self._run_at(pos)
                    if r is not None:
                        pos = r[1]
                    elif self._partial.get(pos, (0, 0))[1] == self.full_mask:
                        pos += 1
                    else:
                        return f"section already deactivated ({pos * self.section_size:#x})"
        for a, b, mask in chunks:
            self._clear(a, b, mask)
        return None

    def _clear(self, a: int, b: int, mask: int) -> None:
        if mask != self.full_mask:
            r = self._run_at(a)
            if r is not None:
                early = r[2]
                self._cut_runs(a, a + 1)
                self._set_partial(a, early, self.full_mask & ~mask)
                return
            p = self._partial[a]
            p[1] &= ~mask
            if p[1] == 0:
                self._drop_partial(a)
            return
        self._cut_runs(a, b)
        for nr in [k for k in self._pkeys[bisect_left(self._pkeys, a):bisect_left(self._pkeys, b)]]:
            self._drop_partial(nr)

    def _cut_runs(self, a: int, b: int) -> None:
        out_runs: List[_Run] = []
        for r in self._runs:
            if r[1] <= a or r[0] >= b:
                out_runs.append(r)
                continue
            if r[0] < a:
                out_runs.append([r[0], a, r[2]])
            if r[1] > b:
                out_runs.append([b, r[1], r[2]])
        self._runs = out_runs
        self._starts = [r[0] for r in out_runs]

    # -- introspection ------------------------------------------------------------
    def state_size(self) -> int:
        """Number of stored objects: runs plus partly used sections."""
        return len(self._runs) + len(self._partial)

    def canonical(self) -> Tuple:
        """A normalised form for equality tests (partial maps that are full become runs)."""
        items: List[Tuple[int, int, bool]] = []
        for a, b, e in self._runs:
            items.append((a, b, bool(e)))
        parts = []
        for nr in self._pkeys:
            e, m = self._partial[nr]
            if m == self.full_mask:
                items.append((nr, nr + 1, bool(e)))
            else:
                parts.append((nr, bool(e), m))
        items.sort()
        merged: List[List] = []
        for a, b, e in items:
            if merged and merged[-1][1] == a and merged[-1][2] == e:
                merged[-1][1] = b
            else:
                merged.append([a, b, e])
        return tuple(map(tuple, merged)), tuple(parts)

