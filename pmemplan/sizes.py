"""Sizes and addresses as ndctl and ``memmap=`` read and print them.

Binary suffixes only: 1K = 1024 (ndctl ``util/size.c`` reads K/M/G/T the same way).
"""
from __future__ import annotations

import re
from typing import Tuple

from .errors import ValueParseError

SZ_4K = 1 << 12
SZ_2M = 1 << 21
SZ_16M = 1 << 24
SZ_128M = 1 << 27
SZ_1G = 1 << 30

_SUFFIX_SHIFT = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
_UNITS = ("K", "M", "G", "T", "P", "E")
# Generous: 2^64 needs 20 decimal digits / 16 hex digits; refuse anything far larger
# before int() sees it (Python refuses > 4300 digits with a traceback-worthy error).
_MAX_DIGITS = 40
_SIZE_RE = re.compile(r"^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)(?:\s*([kKmMgGtTpPeE])(?:i?[bB])?)?$")


def parse_size_unit(text: str) -> Tuple[int, str]:
    """Parse ``text`` into (bytes, unit) where unit is "" or one of K/M/G/T/P/E.

    Accepts decimal, ``0x`` hex and a binary suffix (``16M``, ``0x10M``, ``1GiB``).
    Refuses decimal numbers with leading zeros (YAML 1.1 reads ``010`` as 8).
    """
    s = text.strip()
    m = _SIZE_RE.match(s)
    if not m:
        raise ValueParseError(f"{text!r} is not a size (use bytes, 0x-hex, or a K/M/G/T suffix)")
    digits, suffix = m.group(1), (m.group(2) or "").upper()
    if len(digits) > _MAX_DIGITS:
        raise ValueParseError(f"{text[:24]}... has too many digits to be a size")
    if digits[:2] in ("0x", "0X"):
        hexdigits = digits[2:].replace("_", "")
        if not hexdigits:  # "0x_": int("", 16) would raise a bare ValueError
            raise ValueParseError(f"{text!r} is not a size (no hex digits after 0x)")
        value = int(hexdigits, 16)
    else:
        plain = digits.replace("_", "")
        if len(plain) > 1 and plain[0] == "0":
            dec = plain.lstrip("0") or "0"
            # (0x{dec} would be a different number: 010 is 10 or octal 8, never 0x10)
            octal = f", or {int(plain, 8):#x} for octal {plain}" if set(plain) <= set("01234567") else ""
            raise ValueParseError(
                f"{text!r} has a leading zero, which YAML 1.1 reads as octal; write {dec} for decimal{octal}")
        value = int(plain)
    return value << _SUFFIX_SHIFT[suffix], suffix


def parse_size(text: str) -> int:
    return parse_size_unit(text)[0]


def format_size(n: int) -> str:
    """Compact binary form as ndctl's --size takes it: 16M, 1040M, 0x1000 when not a round unit."""
    if n == 0:
        return "0"
    for unit in reversed(_UNITS):
        shift = _SUFFIX_SHIFT[unit]
        if n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def in_unit(n: int, unit: str) -> str:
    """``n`` written in the user's unit when it divides exactly (ndctl's suggestion style)."""
    shift = _SUFFIX_SHIFT.get(unit, 0)
    if shift and n % (1 << shift) == 0:
        return f"{n >> shift}{unit}"
    return str(n)


def human_size(n: int) -> str:
    """ndctl ``-u`` style: ``"252.00 GiB (270.58 GB)"``."""
    if n < 1024:
        return f"{n} B"
    for i, (bu, du) in enumerate(zip(("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"),
                                     ("KB", "MB", "GB", "TB", "PB", "EB")), start=1):
        if n < 1024 ** (i + 1) or i == 6:
            return f"{n / 1024 ** i:.2f} {bu} ({n / 1000 ** i:.2f} {du})"
    raise AssertionError("unreachable")


def short_size(n: int) -> str:
    """Human text form for reports, exact: ``16 MiB``, ``1.5 GiB``, ``2 GiB - 1 MiB``.

    A whole number of its unit prints without decimals.  Anything else is never rounded
    (a rounded figure can hide a loss: 2 GiB - 1 MiB is not "2.00 GiB"): it prints with at
    most three decimals when they make it exact (``1.5 GiB``), else as a whole number of a
    unit with what is missing or left over: ``128 GiB - 2 MiB``, ``4 MiB - 128 B`` when
    that is under a sixteenth of the unit, else in the largest unit in which at most three
    decimals make it exact (``1784.125 KiB``; bytes at worst) if that takes at most four
    digits before the point, else as ``126 MiB + 864 KiB`` (the part after the sign in this
    same form: ``3 GiB + 960 MiB - 128 B``, never ``3 GiB + 983039.875 KiB``).  Every string stands for exactly one size, so two sizes never print
    the same.
    """
    if n < 0:                                   # a difference (padding saved can be negative)
        return "-" + short_size(-n)
    i = _unit_index(n)
    if i and n % (1 << (10 * i)) and (n * 1000) % (1 << (10 * i)):
        for j in (i + 1, i):                    # k units -/+ a little: 1023.9 MiB reads as 1 GiB - …
            if j > len(_BIN_UNITS):
                continue
            unit = 1 << (10 * j)
            k = (n + unit // 2) >> (10 * j)
            rest = n - k * unit
            if k and abs(rest) * 16 < unit:
                return f"{k} {_BIN_UNITS[j - 1]} {'-' if rest < 0 else '+'} {_plain_size(abs(rest))}"
        plain = _plain_size(n)
        if len(plain.split(".")[0].split(" ")[0]) <= 4:                     # 1784.125 KiB
            return plain
        whole, rest = divmod(n, 1 << (10 * i))                              # not 129888 KiB
        return f"{whole} {_BIN_UNITS[i - 1]} + {short_size(rest)}"          # 3 GiB + 960 MiB - 128 B
    return _plain_size(n)


def _unit_index(n: int) -> int:
    """i with 1024**i <= n < 1024**(i + 1) (0 under 1 KiB; EiB at most)."""
    return min(len(_BIN_UNITS), (n.bit_length() - 1) // 10) if n >= 1024 else 0


def _plain_size(n: int) -> str:
    """``n`` in the largest unit in which at most three decimals make it exact."""
    for i in range(_unit_index(n), 0, -1):
        unit = 1 << (10 * i)
        whole, rest = divmod(n, unit)
        if rest == 0:
            return f"{whole} {_BIN_UNITS[i - 1]}"
        if (rest * 1000) % unit == 0:                                       # 3 decimals or fewer
            return f"{whole}.{rest * 1000 // unit:03d}".rstrip("0") + f" {_BIN_UNITS[i - 1]}"
    return f"{n} B"


_BIN_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def align_up(x: int, a: int) -> int:
    return -(-x // a) * a


def align_down(x: int, a: int) -> int:
    return x - x % a


def is_pow2(x: int) -> bool:
    return x > 0 and x & (x - 1) == 0
