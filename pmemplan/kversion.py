"""Kernel version strings as users write them ("6.1", "5.10.0", "6.1.0-56-amd64", "5.3-rc4")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from .errors import ValueParseError

_VER_RE = re.compile(r"^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?(?:-rc(\d{1,2}))?(?:[-+~_.].*)?$")


@total_ordering
@dataclass(frozen=True)
class KernelVersion:
    major: int
    minor: int
    patch: int = 0
    rc: int = 0  # 0 = a release; n = -rcN (sorts before the release)
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> "KernelVersion":
        m = _VER_RE.match(text.strip())
        if not m:
            raise ValueParseError(f"{text!r} is not a kernel version (e.g. \"6.1\", \"5.10.0\", \"6.1.0-56-amd64\", \"5.3-rc4\")")
        major, minor, patch, rc = (int(g) if g else 0 for g in m.groups())
        return cls(major, minor, patch, rc, text.strip())

    def _key(self):
        # a release sorts after all of its -rcN
        return (self.major, self.minor, self.rc or 99, self.patch)

    def __lt__(self, other: "KernelVersion") -> bool:
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KernelVersion) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def at_least(self, major: int, minor: int, rc: int = 1) -> bool:
        """True from ``major.minor-rc<rc>`` on.

        A feature merged in a merge window is in -rc1 (the default); a late fix
        names its rc (e.g. the v5.3-rc8 end_trunc fix: ``at_least(5, 3, rc=8)``).
        """
        return (self.major, self.minor, self.rc or 99) >= (major, minor, rc)

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}"


def era(v: KernelVersion) -> str:
    """The planner's era names (docs/kernel-model.md §2)."""
    if v.at_least(5, 7):
        return "5.7+"
    if v.at_least(5, 3):
        return "5.3-5.6"
    if v.at_least(5, 1):
        return "5.1-5.2"
    if v.at_least(5, 0):
        return "5.0"
    return "<=4.20"
