"""An advisory lock on a local folder, for the review log's optimistic version check.

The KB tables need no lock (Delta commits are atomic and conflict-checked, see kb.py); the
review store uses this one to make "check the item's version, then append a decision" one
step among reviewers on the same machine or local volume.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"


@contextlib.contextmanager
def kb_lock(root: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Hold the lock on `root` (exclusive) or a shared one for the block.

    A shared lock on a folder we cannot write to (read-only mount) is skipped rather than failing.
    """
    if exclusive:
        root.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
