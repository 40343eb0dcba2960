"""Every error pmemplan reports to a user, in one place.

Input errors carry the file, line and column they are about so the CLI can print
one ``file:line:col: message`` line and exit with status 2.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .causes import Cause


class PmemplanError(Exception):
    """Base class of every error pmemplan raises on purpose."""


class InputError(PmemplanError):
    """Bad input: a file that cannot be read or is not a valid platform."""

    def __init__(self, message: str, path: Optional[str] = None,
                 line: Optional[int] = None, column: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ValueParseError(ValueError):
    """A scalar that is not a valid size, address or version (no location yet)."""


class BttError(PmemplanError):
    """The kernel (or its sysfs interface) refuses a BTT configuration.

    ``errno`` is the symbolic errno name the kernel returns ("ENXIO", "EINVAL");
    ``cause`` the :class:`~pmemplan.causes.Cause` (btt-too-small, btt-sector-size, …).
    """

    def __init__(self, errno: str, message: str, cause: "Cause") -> None:
        super().__init__(message)
        self.errno = errno
        self.message = message
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.message} ({self.errno})"
