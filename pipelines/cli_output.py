"""What the CLI prints is mostly document text, so it is treated as hostile.

The terminal: file names, reasons, field values and query results can carry control characters
(ANSI/OSC escapes that recolour, retitle, hide lines, write hyperlinks or the clipboard; a
carriage return that overwrites a line; bidi overrides that reorder it). `guard_terminal`
wraps stdout and stderr for the whole command so every output path shows them as visible
`\\x1b`-style escapes instead; only newline and tab pass.

Spreadsheets: a CSV cell that starts with `=`, `+`, `-`, `@`, tab or CR is a formula in Excel,
LibreOffice and Google Sheets. As OWASP recommends, such text cells get a leading `'` and every
cell is quoted. Numbers are left alone (a negative amount stays a number).
"""

from __future__ import annotations

import csv
import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pandas costs ~0.5 s to import; every command (and --help) loads this module
    import pandas as pd

# C0 and C1 controls except \t and \n, DEL, and the invisible direction marks and overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str) -> str:
    """`text` with every control character replaced by a visible escape (`\\x1b`, `\\u202e`)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


class SafeTextStream:
    """A text stream that escapes control characters on their way to the terminal."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, s: str) -> int:
        self._inner.write(terminal_safe(s))
        return len(s)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno ...
        return getattr(self._inner, name)


def trusted_stream(stream: TextIO) -> TextIO:
    """The stream under the guard, for output this program composes itself from numbers and
    fixed words (the progress display's carriage returns and line erase): never document text."""
    return stream._inner if isinstance(stream, SafeTextStream) else stream


def guard_terminal() -> None:
    """Route this process's stdout and stderr through `SafeTextStream` (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, SafeTextStream):
            setattr(sys, name, SafeTextStream(stream))


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, defused with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame) -> str:
    """The frame as CSV for spreadsheets: formula-looking text defused, every text cell quoted."""
    safe = df.map(csv_safe)
    safe.columns = [csv_safe(str(c)) for c in df.columns]
    return safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
