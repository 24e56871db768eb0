"""The parsed document behind a review item or a backtest.

Parsed documents are cached by the staged pipeline under `<kb>/_cache/parsed/` (stages.py),
one typed-JSON tree per top-level file, attachments inside their parent (parse/cache.py; an
entry is used only when it is well formed and holds the document its key names). The direct pipeline
(`pipeline.run`) does not fill that cache, but every original is kept by content hash in
the raw store, so a document missing from the cache is parsed again from its original —
parsing is deterministic, so the text offsets match the evidence recorded at the time — and
the result is cached for next time. An attachment is found inside its parent's tree (the
`documents` catalog knows each document's parent), so it keeps its path and parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipelines.config import Settings
from pipelines.model.document import Document, Status
from pipelines.ingest.raw_store import RawStore
from pipelines.land.catalog import Catalog
from pipelines.land.kb import KnowledgeBase
from pipelines.parse import cache as parse_cache
from pipelines.storage import state_dir

_MAX_PARENT_DEPTH = 32  # guards against a cycle in a damaged catalog


class DocumentNotFound(LookupError):
    """Neither the parse cache nor the raw store holds the document."""


def load_document(settings: Settings, document_id: str) -> Document:
    """The parsed document with this id (a top-level file or an attachment)."""
    if not _is_sha(document_id):
        raise DocumentNotFound(f"{document_id!r} is not a document id")
    kb = state_dir(settings.kb_root)
    catalog = _catalog(kb)
    chain = _ancestry(catalog, document_id)  # [document_id, parent, grandparent, ...]
    for root_id in reversed(chain):  # the top-level file first: attachments live in its tree
        root = _from_cache(kb, root_id) or _from_raw(settings, root_id, catalog)
        if root is not None:
            found = next((d for d in root.walk() if d.id == document_id), None)
            if found is not None:
                return found
    raise DocumentNotFound(
        f"document {document_id[:12]} is neither in the parse cache nor in the raw store of {kb}"
    )


def stored_documents(settings: Settings, *, reparse: bool = True) -> Iterator[tuple[Document, Document | None]]:
    """Every parsed document the KB knows (attachments too) with its parent (None for a
    top-level file), each once. Cached trees first; with `reparse`, top-level documents in
    the catalog that are not cached are parsed from the raw store. Quarantined documents
    (nothing to map) are skipped."""
    kb = state_dir(settings.kb_root)
    seen: set[str] = set()
    for path in parse_cache.entries(kb):
        root = parse_cache.read(path)
        if root is not None and root.id not in seen:
            yield from _walk(root, None, seen)
    if not reparse:
        return
    catalog = _catalog(kb)
    for doc_id, row in sorted(catalog.items()):
        if row.get("parent_id") or doc_id in seen or row.get("status") == Status.QUARANTINED.value:
            continue
        root = _from_raw(settings, doc_id, catalog)
        if root is not None:
            yield from _walk(root, None, seen)


# ---- helpers --------------------------------------------------------------------------------


def _walk(doc: Document, parent: Document | None, seen: set[str]) -> Iterator[tuple[Document, Document | None]]:
    if doc.id in seen:
        return
    seen.add(doc.id)
    if doc.status is not Status.QUARANTINED:
        yield doc, parent
    for child in doc.children:
        yield from _walk(child, doc, seen)


def _is_sha(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _catalog(kb: Path) -> dict[str, dict]:
    """document_id -> its catalog row (the first when the same bytes sit at several paths)."""
    if not kb.is_dir():
        return {}
    rows: dict[str, dict] = {}
    for row in Catalog(KnowledgeBase(kb)).read_documents().to_pylist():
        rows.setdefault(row["document_id"], row)
    return rows


def _ancestry(catalog: dict[str, dict], document_id: str) -> list[str]:
    chain = [document_id]
    while len(chain) < _MAX_PARENT_DEPTH:
        parent = (catalog.get(chain[-1]) or {}).get("parent_id")
        if not parent or parent in chain:
            break
        chain.append(parent)
    return chain


def _from_cache(kb: Path, doc_id: str) -> Document | None:
    for path in parse_cache.entries(kb, doc_id):
        doc = parse_cache.read(path)
        if doc is not None and doc.id == doc_id:
            return doc
    return None


def _from_raw(settings: Settings, doc_id: str, catalog: dict[str, dict]) -> Document | None:
    from pipelines.parse.dispatch import parse_bytes

    store = RawStore(settings.raw_root)
    if doc_id not in store:
        return None
    row = catalog.get(doc_id) or {}
    source_path = row.get("source_path") or doc_id
    name = row.get("name") or Path(source_path.split("#")[-1]).name or doc_id
    doc = parse_bytes(store.get(doc_id), name=name, source_path=source_path, limits=settings.limits,
                      parent_id=row.get("parent_id"))
    if doc.id != doc_id:  # the store's bytes do not hash to their name: never trust them
        return None
    if not row.get("parent_id"):
        parse_cache.write(settings.kb_root, doc, settings.limits)
    return doc
