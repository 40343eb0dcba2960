"""/proc/iomem: the firmware map and the resources the pmem drivers requested in it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Tuple

from ..errors import InputError

@dataclass
class Resource:
    """One /proc/iomem line: [start, end) and its name, with its nested children."""
    start: int
    end: int                    # exclusive
    name: str
    line: int
    children: List["Resource"] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.end - self.start

    def walk(self) -> Iterable["Resource"]:
        yield self
        for c in self.children:
            yield from c.walk()


_IOMEM_RE = re.compile(r"^(?P<ind>[ \t]*)(?P<s>[0-9a-fA-F]{1,16})-(?P<e>[0-9a-fA-F]{1,16}) : (?P<name>.*?)\s*$")


def parse_iomem(text: str, name: str = "iomem") -> List[Resource]:
    """The top-level resources of a /proc/iomem dump, children nested.

    Lines that are not ``START-END : NAME`` (a shell prompt, "...") are skipped, and a
    common indentation (a dump pasted into a mail) is ignored.  A dump whose addresses
    are all zero was read by a non-root user: that is an input error saying so.
    """
    rows: List[Tuple[int, int, int, str, int]] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        m = _IOMEM_RE.match(raw.replace("\t", "  "))
        if not m:
            continue
        s, e = int(m.group("s"), 16), int(m.group("e"), 16)
        rows.append((len(m.group("ind")), s, e, m.group("name"), no))
    if not rows:
        raise InputError("no /proc/iomem lines (START-END : NAME) found", name)
    if all(s == 0 and e == 0 for _, s, e, _, _ in rows):
        raise InputError("every address is 0: this /proc/iomem was read by a non-root user, for whom the "
                         "kernel hides addresses; read it as root (sudo cat /proc/iomem)", name)
    base = min(r[0] for r in rows)
    top: List[Resource] = []
    stack: List[Tuple[int, Resource]] = []
    for ind, s, e, label, no in rows:
        if e < s:
            raise InputError(f"range {s:x}-{e:x} ends before it starts", name, no, 1)
        res = Resource(s, e + 1, label, no)
        depth = ind - base
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else top).append(res)
        stack.append((depth, res))
    return top


_NS_NAME = re.compile(r"^namespace(\d+)\.(\d+)$")
_DEV_NAME = re.compile(r"^(?:dax|pfn|btt)(\d+)\.(\d+)$")


def _region_no(dev: str) -> Optional[int]:
    m = _NS_NAME.match(dev) or _DEV_NAME.match(dev)
    return int(m.group(1)) if m else None


def _is_pmem(name: str) -> bool:
    return name.startswith("Persistent Memory")

