"""Parsed documents cached by content: `<kb>/_cache/parsed/v1/<sha[:2]>/<sha>.<ext>.pkl`.

One pickled tree per top-level file (attachments inside their parent). The staged pipeline
fills it so a re-run only parses changed files; review and backtests read it back. The
extension is part of the key because the parser warns when it does not match the content.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from pipelines.document import Document, Reason

CACHE_DIR = "_cache/parsed/v1"
# Failures a retry may not repeat (a busy machine, a dead worker): never cached.
TRANSIENT = {Reason.TIMEOUT, Reason.MEMORY, Reason.INTERNAL}


def cache_path(kb_root: str | Path, sha: str, name: str) -> Path:
    ext = Path(name).suffix.lower().lstrip(".")[:16] or "noext"
    return Path(kb_root) / CACHE_DIR / sha[:2] / f"{sha}.{ext}.pkl"


def read(path: Path) -> Document | None:
    """The cached tree, or None for an unreadable entry (the caller parses the original again)."""
    try:
        doc = pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - a damaged entry is skipped, not fatal
        return None
    return doc if isinstance(doc, Document) else None


def write(kb_root: str | Path, doc: Document) -> None:
    """Cache a parsed tree atomically; transient failures are not cached. A read-only KB is
    no error: the document is parsed again next time."""
    if doc.reason in TRANSIENT:
        return
    target = cache_path(kb_root, doc.id, doc.source_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(doc, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
