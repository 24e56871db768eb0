"""Parsed documents cached by content: `<kb>/_cache/parsed/v2/<sha[:2]>/<sha>.<ext>.<key>.json`.

One tree per top-level file (attachments inside their parent), as typed JSON (pipelines/codec.py):
never code, and checked field by field when read. The staged pipeline fills it so a re-run only
parses changed files; review and backtests read it back.

A cached result is only as true as what produced it, so the key holds everything the parse
depends on: the bytes (sha256), the file extension (the parser warns when it does not match
the content), the parser code (a hash of the parse modules' source), the OCR engine and its
version or its absence, and the parse limits. The key is stored in the entry and compared on
read: a renamed or planted entry is ignored. Failures the environment caused (no OCR engine)
or a retry may not repeat (time, memory, a dead worker) are never cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipelines.model import document as model
from pipelines.codec import Codec, CodecError
from pipelines.model.document import Document, Reason
from pipelines.parse.limits import DEFAULT_LIMITS, Limits
from pipelines.storage import state_dir

CACHE_DIR = "_cache/parsed/v2"
FORMAT = "mapper.parsed-document/2"
# Never cached: a retry or another machine may not fail the same way.
TRANSIENT = {Reason.TIMEOUT, Reason.MEMORY, Reason.INTERNAL, Reason.NEEDS_OCR}

DOCUMENT_CODEC = Codec([model.Document, model.Element, model.Word, model.Cell, model.BBox, model.Page,
                        model.Kind, model.Status, model.Reason])


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """A hash of the document model's and every parser's source: a parser change is a new key."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted([*here.glob("*.py"), here.parent / "model" / "document.py", here.parent / "codec.py"]):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def environment() -> dict[str, Any]:
    """What, besides the bytes and the code, decides a parse: the OCR engine that would run."""
    from pipelines.parse.ocr import get_engine

    name = os.environ.get("MAPPER_OCR_ENGINE") or "tesseract"
    engine = get_engine()
    return {"ocr_engine": name, "ocr_version": engine.version() if engine is not None else None}


def cache_key(sha: str, name: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    return {"format": FORMAT, "sha256": sha, "ext": _ext(name), "parser": parser_version(),
            **environment(), "limits": asdict(limits)}


def cache_path(kb_root: str | Path, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    sha = key["sha256"]
    return state_dir(kb_root) / CACHE_DIR / sha[:2] / f"{sha}.{key['ext']}.{digest}.json"


def read(path: Path, key: dict[str, Any] | None = None) -> Document | None:
    """The cached tree if the entry is well formed, holds the document its key names (and
    that key equals `key` when given); None otherwise (the caller parses the original again)."""
    try:
        entry = DOCUMENT_CODEC.load_json(path.read_bytes())
        stored = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(stored, dict) or entry.get("format") != FORMAT or (key is not None and stored != key):
            return None
        # The entry must sit where its own key puts it, and hold the document that key names.
        if path.parts[-2:] != cache_path("", stored).parts[-2:]:
            return None
        doc = DOCUMENT_CODEC.decode(entry.get("document"), Document)
    except (OSError, ValueError, CodecError, TypeError, KeyError, RecursionError):  # damaged or foreign
        return None
    return doc if doc.id == stored["sha256"] else None


def write(kb_root: str | Path, doc: Document, limits: Limits = DEFAULT_LIMITS) -> None:
    """Cache a parsed tree atomically; environment and transient failures are not cached. A
    read-only KB is no error: the document is parsed again next time."""
    if any(d.reason in TRANSIENT for d in doc.walk()):
        return
    key = cache_key(doc.id, doc.source_path, limits)
    target = cache_path(kb_root, key)
    payload = DOCUMENT_CODEC.to_json(doc, Document, under="document", format=FORMAT, key=key)
    if payload is None:
        return  # not representable in JSON: parsed again next time
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def entries(kb_root: str | Path, sha: str | None = None) -> list[Path]:
    """Cache files (of one document, or all), for readers that do not know the key."""
    root = state_dir(kb_root) / CACHE_DIR
    return sorted(root.glob(f"{sha[:2]}/{sha}.*.json") if sha else root.glob("*/*.json"))


def _ext(name: str) -> str:
    return "".join(c for c in Path(name).suffix.lower() if c.isascii() and c.isalnum())[:16] or "noext"
