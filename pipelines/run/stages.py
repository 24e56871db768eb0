"""The stages of a batch, as plain functions over explicit inputs and outputs.

    store_inputs    paths              -> entries (path, sha256, size) in the raw store
    parse_documents entries            -> Documents (parse cache first, then the workers)
    map_documents   Documents          -> Extracted (per input file: each document's map result)
    judge_files     Extracted          -> outcomes per input file, counted into one Summary
    land_files      outcomes           -> the KB, review queue and catalog (BatchWriter)

`mapper run --direct` chains them in one process (pipelines/run/direct.py). The Dagster assets
call the file-backed wrappers below (`ingest`, `parse`, `extract`, `judge`, `land`), which
read the previous stage's hand-off file and write their own (pipelines/run/files.py):

    register_batch  <state>/_batches/<batch_id>.json      the batch's input files
    ingest          <state>/_work/<batch_id>/raw.json     files found, stored by SHA-256
    parse           .../parsed.jsonl      Documents (cached by content hash, parse/cache.py)
    extract         .../extracted.jsonl   map results per document
    judge           .../validated.jsonl   outcomes + summary.json + hold.json (the stopgap)
    land            the KB tables, review queue and catalog; landed.json
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.config import Settings
from pipelines.model.document import Document, Status
from pipelines.ingest.raw_store import RawStore
from pipelines.parse import cache as parse_cache
from pipelines.run.batch import batch_files
from pipelines.run.files import EXTRACTED, PARSED, VALIDATED, dump_stream, load_stream, read_json, remove, work_dir, write_json
from pipelines.run.handoff import Extracted
from pipelines.run.hold import (LANDED_FILE, SUMMARY_FILE, BatchHeldError, HoldPolicy, assess_hold, hold_status,
                                problem_rate, scope)
from pipelines.run.mapper import Mapper
from pipelines.run.progress import ProgressFile
from pipelines.run.outcome import LANDED, QUARANTINED, REVIEW, DocOutcome, Summary
from pipelines.land.writer import BatchWriter
from pipelines.storage import state_dir

# ---- the stages --------------------------------------------------------------------------


def store_inputs(files: Iterable[str | Path], store: RawStore, max_bytes: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Hash each file and keep its bytes in the raw store: (entries, paths that could not be read)."""
    entries, missing = [], []
    for f in files:
        try:
            sha, size = _store(Path(f), store, max_bytes)
        except OSError:
            missing.append(str(f))
            continue
        entries.append({"path": str(f), "sha256": sha, "size": size})
    return entries, missing


def _store(path: Path, store: RawStore, max_bytes: int) -> tuple[str, int]:
    """Hash a file; keep its bytes in the raw store unless it is too large to parse anyway."""
    if path.is_symlink():  # replaced by a link after the batch was registered: not followed
        raise OSError(f"{path} is now a symbolic link")
    size = path.stat().st_size
    if size <= max_bytes:
        data = path.read_bytes()
        return store.put(data), len(data)
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest(), size


def parse_documents(entries: Iterable[dict[str, Any]], settings: Settings, store: RawStore, *,
                    use_cache: bool = True, stats: dict[str, int] | None = None,
                    unread: Iterable[str] = ()) -> Iterator[Document]:
    """Documents for stored entries: from the parse cache when the same bytes were parsed before
    with the same parser, OCR engine and limits, else parsed in the workers (and cached).
    `unread`: paths that could not be stored; parsing them gives their quarantine reason."""
    from pipelines.parse.run import parse_files

    state = state_dir(settings.kb_root)
    stats = stats if stats is not None else {}
    todo = list(unread)
    for e in entries:
        key = parse_cache.cache_key(e["sha256"], e["path"], settings.limits)
        hit = parse_cache.cache_path(state, key)
        cached = parse_cache.read(hit, key) if use_cache and hit.is_file() else None
        if cached is None:
            todo.append(e["path"])
            continue
        stats["cached"] = stats.get("cached", 0) + 1
        yield _repath(cached, e["path"])
    for doc in parse_files(todo, workers=settings.workers, limits=settings.limits, store=store):
        parse_cache.write(state, doc, settings.limits)
        stats["parsed"] = stats.get("parsed", 0) + 1
        yield doc


def _repath(doc: Document, path: str) -> Document:
    """A cached document parsed from the same bytes at another path: point it at this one."""
    old = doc.source_path
    for d in doc.walk():
        if d.source_path == old or d.source_path.startswith(old + "#"):
            d.source_path = path + d.source_path[len(old):]
    doc.name = Path(path).name
    return doc


def with_parents(doc: Document, parent: Document | None = None) -> Iterator[tuple[Document, Document | None]]:
    yield doc, parent
    for child in doc.children:
        yield from with_parents(child, doc)


def map_documents(docs: Iterable[Document], mapper: Mapper, stats: dict[str, Any] | None = None) -> Iterator[Extracted]:
    """Classify and map every document and attachment (quarantined ones have no result)."""
    stats = stats if stats is not None else {}
    per_schema: dict[str, int] = stats.setdefault("per_schema", {})
    for doc in docs:
        results: list[tuple[Document, Any]] = []
        stats["documents"] = stats.get("documents", 0) + 1
        for d, parent in with_parents(doc):
            stats["attachments"] = stats.get("attachments", 0) + (d is not doc)
            if d.status is Status.QUARANTINED:
                results.append((d, None))
                continue
            r = mapper.map(d, parent)
            stats["unclassified"] = stats.get("unclassified", 0) + (r.classification is None)
            for rec in r.records:
                per_schema[rec.schema] = per_schema.get(rec.schema, 0) + 1
                stats["records"] = stats.get("records", 0) + 1
            results.append((d, r))
        yield Extracted(doc, results)


def judge_files(extracted: Iterable[Extracted], mapper: Mapper, summary: Summary) -> Iterator[list[DocOutcome]]:
    """Validate each file's records, decide each document's outcome (once) and count it."""
    for ex in extracted:
        outcomes = []
        for d, result in ex.results:
            oc = mapper.outcome_of(d, result)
            summary.add(oc, top=d is ex.document)
            outcomes.append(oc)
        yield outcomes


def land_files(judged: Iterable[list[DocOutcome]], writer: BatchWriter) -> None:
    """Write every outcome through the batch writer, then flush what is buffered."""
    for outcomes in judged:
        for oc in outcomes:
            writer.add(oc)
    writer.flush()


# ---- the same stages over hand-off files (what the Dagster assets call) --------------------


def ingest(settings: Settings, batch_id: str, only: str | None = None) -> dict[str, Any]:
    """Store each input's bytes by SHA-256; `only` (a path, or a document id or its prefix)
    restricts the batch to one document, for re-processing it alone."""
    by_id = bool(only) and not Path(only).exists() and _is_hex(only)
    files = [str(Path(only).resolve())] if only and not by_id else batch_files(settings.kb_root, batch_id)
    entries, missing = store_inputs(files, RawStore(settings.raw_root), settings.limits.max_bytes)
    if by_id:
        entries = [e for e in entries if e["sha256"].startswith(only.lower())]
    if only and not entries:
        raise FileNotFoundError(f"no input of batch {batch_id!r} matches document {only!r}")
    sc = "document" if only else "batch"
    write_json(work_dir(settings.kb_root, batch_id) / "raw.json", {"scope": sc, "files": entries, "missing": missing})
    return {"documents": len(entries), "bytes": sum(e["size"] for e in entries), "missing": missing, "scope": sc}


def _is_hex(s: str) -> bool:
    return len(s) >= 8 and all(c in "0123456789abcdefABCDEF" for c in s)


def parse(settings: Settings, batch_id: str, *, use_cache: bool = True) -> dict[str, Any]:
    """Parse the batch's inputs, reusing cached results for bytes parsed before
    (`use_cache=False` re-parses everything, e.g. after a parser fix, and refreshes the cache)."""
    raw = read_json(work_dir(settings.kb_root, batch_id) / "raw.json")
    if raw is None:
        raise FileNotFoundError(f"batch {batch_id!r} has not been ingested")
    stats = {"documents": 0, "cached": 0, "parsed": 0, "quarantined": 0, "attachments": 0}

    def counted() -> Iterator[Document]:
        for doc in parse_documents(raw["files"], settings, RawStore(settings.raw_root), use_cache=use_cache, stats=stats):
            stats["documents"] += 1
            stats["attachments"] += len(doc.walk()) - 1
            stats["quarantined"] += doc.status is Status.QUARANTINED
            yield doc

    wd = work_dir(settings.kb_root, batch_id)
    dump_stream(wd / PARSED, ProgressFile(wd, "parsed").counting(counted()))
    return stats


def extract(settings: Settings, batch_id: str, mapper: Mapper) -> dict[str, Any]:
    """Classify and map every parsed document (rules, the generic extractor, then the LLM
    for what they left open when an endpoint is configured)."""
    stats: dict[str, Any] = {"documents": 0, "attachments": 0, "records": 0, "unclassified": 0, "per_schema": {}}
    wd = work_dir(settings.kb_root, batch_id)
    mapper.remember_decisions(settings.kb_root)
    mapper.use_cache(settings.kb_root)
    llm = mapper.with_llm(settings.kb_root, batch_id)
    try:
        dump_stream(wd / EXTRACTED, ProgressFile(wd, "mapped").counting(map_documents(load_stream(wd / PARSED), mapper, stats)))
    finally:
        if llm is not None:
            llm.flush()  # the audit trail is kept even when the stage fails
        mapper.llm = None
    llm_stats = llm.stats.as_dict() if llm else None
    write_json(wd / "llm.json", llm_stats)
    return stats | {"llm": llm_stats}


def judge(settings: Settings, batch_id: str, mapper: Mapper, policy: HoldPolicy | None = None) -> dict[str, Any]:
    """Validate every record, decide each document's outcome, and decide whether to hold the batch."""
    wd = work_dir(settings.kb_root, batch_id)
    summary = Summary(batch_id, kb_root=str(settings.kb_root), landed=False)
    mapper.remember_decisions(settings.kb_root)
    dump_stream(wd / VALIDATED, judge_files(load_stream(wd / EXTRACTED), mapper, summary))
    sc = scope(settings.kb_root, batch_id)
    summary.llm = read_json(wd / "llm.json")
    if summary.llm is not None:
        summary.llm_off_fields = 0
    missing = read_json(wd / "raw.json", {}).get("missing", [])
    out = summary.as_dict() | {"scope": sc, "validated_at": datetime.now(UTC).isoformat(), "missing_files": missing}
    out["problem_rate"] = problem_rate(out)
    write_json(wd / SUMMARY_FILE[sc], out)
    if sc == "batch":  # re-running one document neither sets nor clears the batch's hold
        write_json(wd / "hold.json", assess_hold(settings.kb_root, out, policy or HoldPolicy.from_settings(settings)))
    remove(wd / LANDED_FILE[sc])
    return out


def land(settings: Settings, batch_id: str, mapper: Mapper) -> dict[str, Any]:
    """Write records to the KB, the rest to the review queue, every document to the catalog."""
    from pipelines.land.catalog import Catalog
    from pipelines.land.kb import KnowledgeBase

    status = hold_status(settings.kb_root, batch_id)
    if status["held"] and not status["release"]:
        raise BatchHeldError(f"batch {batch_id} is held: {status['reason']}")
    kb = KnowledgeBase(settings.kb_root)
    writer = BatchWriter(kb, Catalog(kb), mapper.schemas, batch_id)
    wd = work_dir(settings.kb_root, batch_id)
    documents = {LANDED: 0, REVIEW: 0, QUARANTINED: 0}
    landed: dict[str, int] = {}
    review: dict[str, int] = {}
    inputs = 0

    def counted() -> Iterator[list[DocOutcome]]:
        nonlocal inputs
        for outcomes in load_stream(wd / VALIDATED):
            inputs += 1
            for oc in outcomes:
                documents[oc.outcome] += 1
                for rec in oc.records:
                    bucket = landed if oc.lands(rec, mapper.schemas) else review
                    bucket[rec.schema] = bucket.get(rec.schema, 0) + 1
            yield outcomes

    land_files(ProgressFile(wd, "written").counting(counted()), writer)
    out = {"batch_id": batch_id, "inputs": inputs, "documents": documents, "landed_records": landed,
           "review_records": review, "landed_at": datetime.now(UTC).isoformat()}
    write_json(wd / LANDED_FILE[scope(settings.kb_root, batch_id)], out)
    return out
