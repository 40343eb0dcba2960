"""Kernel version strings as users write them ("6.1", "5.10.0", "6.1.0-56-amd64", "5.3-rc4")."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import total_ordering
from typing import Iterable, List, Optional, Tuple

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
    # how a distribution kernel (or a behaves_like: key) maps to the numbers above: the
    # assumption every result for this kernel states (resolve_kernel())
    basis: str = ""

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


# Red Hat Enterprise Linux 8: "4.18.0-N.el8…" with N the build (80: 8.0, 147: 8.1, 193: 8.2,
# 240: 8.3, 305: 8.4, 348: 8.5 …).  Read in the sources of 4.18.0-147.el8 (8.1):
# trim_pfn_device(), info_block_reserve(), "Conflicting mapping in same section", no
# sub-sections — the 5.1/5.2 layout; and of 4.18.0-240.el8 (8.3) and 4.18.0-348.el8 (8.5):
# sub-section hotplug (subsection_map), memremap_compat_align(), the region align attribute,
# nd_pfn_init() refusing only offset >= size — the 5.7+ rules, taken as 5.10.
_RHEL8 = re.compile(r"^4\.18\.0-(\d+)[.\d]*\.el8")
_RHEL8_MAP = ((240, "5.10", "RHEL 8.3 and later backport sub-section hotplug, memremap_compat_align() and "
               "the region align (sources of 4.18.0-240.el8 and -348.el8 read)"),
              (147, "5.2", "RHEL 8.1/8.2 backport trim_pfn_device() and info_block_reserve() without "
               "sub-sections (source of 4.18.0-147.el8 read)"),
              (0, "4.18", "RHEL 8.0 was not read: mainline 4.18 assumed"))
_BASE = re.compile(r"^v?\d{1,3}\.\d{1,3}(?:\.\d{1,4})?(?:-rc\d{1,2})?$")


def resolve_kernel(text: str, behaves_like: Optional[str] = None) -> KernelVersion:
    """The kernel whose behaviour the engine plans for ``text`` (printed as ``text``).

    ``behaves_like`` (the platform key) wins.  A RHEL 8 kernel maps by its build number
    (_RHEL8_MAP); any other distribution kernel ("5.14.0-70.el9", "5.15.0-91-generic",
    "6.1.0-56-amd64") is planned as the mainline release its version names.  Either way
    ``basis`` says so, and results list it among their assumptions.
    """
    v = KernelVersion.parse(text)
    if behaves_like:
        b = KernelVersion.parse(behaves_like)
        return replace(b, text=v.text, basis=f"Linux {v.text} is planned as Linux {b.text} (behaves_like)")
    m = _RHEL8.match(v.text)
    if m:
        build = int(m.group(1))
        for first, like, why in _RHEL8_MAP:
            if build >= first:
                b = KernelVersion.parse(like)
                return replace(b, text=v.text, basis=f"Linux {v.text} is planned as Linux {like}: {why}; "
                               "set behaves_like if it behaves otherwise")
    if not _BASE.match(v.text):
        name = f"{v.major}.{v.minor}" + (f".{v.patch}" if v.patch else "")
        return replace(v, basis=f"Linux {v.text} is a distribution kernel, planned as mainline {name}; "
                       "vendors backport pmem fixes (set behaves_like if it behaves like another release)")
    return v


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


# -- the supported range ----------------------------------------------------------------

# v4.2-rc1: libnvdimm (drivers/nvdimm, b94d5230d06e "libnvdimm, nfit: initial libnvdimm
# infrastructure and NFIT support") -- no pmem namespaces, regions or ndctl before it
FIRST_SUPPORTED = (4, 2)
# the newest release whose behaviour was observed with the QEMU oracle (6.12.117); later
# kernels are planned with the same rules, an assumption each result states
NEWEST_CHECKED = (6, 12)
# v5.3-rc1 sub-section hotplug: --legacy names a kernel from before it
SUBSECTION_RELEASE = (5, 3)


def check_kernel(text: str) -> KernelVersion:
    """Parse ``text`` and refuse a kernel older than libnvdimm (ValueParseError)."""
    v = KernelVersion.parse(text)
    if not v.at_least(*FIRST_SUPPORTED):
        raise ValueParseError(f"{text.strip()!r}: Linux {v} predates libnvdimm (merged in "
                              f"{FIRST_SUPPORTED[0]}.{FIRST_SUPPORTED[1]}); pmemplan models "
                              f"{FIRST_SUPPORTED[0]}.{FIRST_SUPPORTED[1]} and later")
    return v


def validate_kernels(kernels: Iterable[str] = (), legacy: Optional[str] = None,
                     what: str = "--kernel") -> Tuple[List[str], Optional[str]]:
    """Every check on user-given kernel versions, in one place (CLI options and files).

    Returns ``kernels`` with repeats dropped (by normalised version, first spelling kept:
    "6.1", "6.1.0" and "6.1.0-56-amd64" are one kernel) and ``legacy`` unchanged.  Raises
    :class:`ValueParseError` with a one-line message, naming the option: a string that is
    not a version, a kernel older than 4.2 (libnvdimm), or a ``legacy`` kernel that is not
    from before 5.3 (the comparison is with pre-sub-section behaviour).  Kernels newer than
    :data:`NEWEST_CHECKED` are accepted; :func:`unconfirmed_note` says so in the result.
    """
    out: List[str] = []
    seen = set()
    for k in kernels:
        try:
            v = check_kernel(k)
        except ValueParseError as e:
            raise ValueParseError(f"{what}: {e}") from None
        if v not in seen:
            seen.add(v)
            out.append(k)
    if legacy:
        try:
            check_kernel(legacy)
            lv = resolve_kernel(legacy)
        except ValueParseError as e:
            raise ValueParseError(f"--legacy: {e}") from None
        if lv.at_least(*SUBSECTION_RELEASE):
            raise ValueParseError(f"--legacy: {legacy.strip()!r} is not a pre-"
                                  f"{SUBSECTION_RELEASE[0]}.{SUBSECTION_RELEASE[1]} kernel; the legacy "
                                  "comparison is with a kernel from before sub-section hotplug (e.g. 5.2)")
    return out, legacy


def unconfirmed_note(v: KernelVersion) -> Optional[str]:
    """The assumption a result carries for a kernel newer than the newest one checked."""
    if (v.major, v.minor) <= NEWEST_CHECKED:
        return None
    n = f"{NEWEST_CHECKED[0]}.{NEWEST_CHECKED[1]}"
    return (f"unconfirmed: Linux {v} is newer than {n}, the newest release this model was checked "
            f"against on a real kernel; {n}'s rules are assumed to still hold")
