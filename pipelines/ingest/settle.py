"""Is a file in the inbox ready to take? Not a temporary, partial or lock file, and complete.

Copy tools, browsers and office programs write under a temporary name and rename at the end
(rsync `.name.XXXXXX`, `.part`, `.crdownload`, `~$name.docx` Word locks, `.~lock.name#`
LibreOffice locks): those names are never inputs. A file written in place is taken only when
its size and mtime have not changed between two looks a settle time apart, and, for formats
with an end marker, when that marker is there (PDF `%%EOF` near the end; ZIP-based formats
such as DOCX/XLSX/PPTX/ODT their end-of-central-directory record). A file that stays without
its marker for long is taken anyway, so the parser quarantines it as truncated: every file ends
somewhere.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

# Names of files still being written or held open; matched case-insensitively.
TEMP_PATTERNS = (
    ".*",            # rsync's .name.XXXXXX, editors' swap files, macOS ._ resource forks
    "~$*",           # Microsoft Office owner/lock files
    "*~",            # editor backups written beside the file
    "*.part", "*.partial", "*.crdownload", "*.download", "*.filepart", "*.opdownload",
    "*.tmp", "*.temp", "*.swp", "*.lock", "*.!ut", "*.!qb",
)
PDF_TAIL = 1024  # %%EOF must be in the last KiB (PDF 1.7, 7.5.5, readers allow some trailing bytes)
ZIP_TAIL = 22 + 65535  # the end-of-central-directory record plus the longest archive comment


def is_temp_name(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, pat) for pat in TEMP_PATTERNS)


def missing_end_marker(path: Path) -> str | None:
    """Why the file looks cut short ("no %%EOF", ...), or None if complete or it has no marker."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            size = fh.seek(0, 2)
            if head.startswith(b"%PDF-"):
                fh.seek(max(0, size - PDF_TAIL))
                return None if b"%%EOF" in fh.read() else "PDF without %%EOF at its end"
            if head.startswith(b"PK\x03\x04"):
                fh.seek(max(0, size - ZIP_TAIL))
                return None if b"PK\x05\x06" in fh.read() else "ZIP without its end-of-central-directory record"
    except OSError as exc:
        return f"unreadable: {exc}"
    return None
