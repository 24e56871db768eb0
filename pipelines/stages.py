"""The pipeline cut into stages that hand off through files, so an orchestrator can run,
retry and inspect each stage of an ingestion batch on its own.

Same work as `pipeline.run` (and the same functions: `parse_files`, `map_document`,
`validate`, `BatchWriter`), split at the stage boundaries::

    register_batch  <kb>/_batches/<batch_id>.json      the batch's input files
    ingest          <kb>/_work/<batch_id>/raw.json     files found, stored by SHA-256
    parse           <kb>/_work/<batch_id>/parsed.jsonl   Documents (cached by content hash)
    extract         <kb>/_work/<batch_id>/extracted.jsonl  map results per document
    judge           <kb>/_work/<batch_id>/validated.jsonl  outcomes + summary.json + hold.json
    land            the KB tables, review queue and catalog; landed.json

Stage files are JSON lines (one item per input file, so memory stays flat) written and checked
by a typed codec (pipelines/codec.py, handoff.py): a work folder holds data, never code.
Parsed documents are cached under `<kb>/_cache/parsed/` by the SHA-256 of their bytes and
everything else the parse depends on (parse/cache.py): re-running a batch re-parses only
documents whose bytes, parser or OCR engine changed.

The stopgap: when a batch's share of documents going to review or quarantine jumps well
above the recent level, `judge` marks it held and `land` refuses it until a person
releases it (`release`). No Dagster here: the orchestration layer calls these functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.config import Settings
from pipelines.model.document import Document, Status
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.walk import SkippedLink, iter_inputs
from pipelines import handoff
from pipelines.handoff import Extracted
from pipelines.parse import cache as parse_cache
from pipelines.pipeline import LANDED, QUARANTINED, REVIEW, DocOutcome, Mapper, Summary, BatchWriter, count_outcome
from pipelines.storage import state_dir

WORK_DIR, BATCHES_DIR, CACHE_DIR = "_work", "_batches", parse_cache.CACHE_DIR
PARSED, EXTRACTED, VALIDATED = "parsed.jsonl", "extracted.jsonl", "validated.jsonl"


class BatchHeldError(RuntimeError):
    """The batch is held back from the KB by the stopgap and has not been released."""


# ---- files -------------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
    os.replace(tmp, path)


def _read_json(path: Path, default: Any = None) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def _dump_stream(path: Path, items: Iterable[Any]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for item in items:
                fh.write(handoff.dumps(item))
                fh.write("\n")
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _load_stream(path: Path) -> Iterator[Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run the previous stage for this batch first")
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            try:
                yield handoff.loads(line.decode("utf-8"))
            except (ValueError, TypeError) as exc:
                raise handoff.HandoffError(f"{path}, item {n}: {exc}") from exc


def work_dir(kb_root: str | Path, batch_id: str) -> Path:
    return state_dir(kb_root) / WORK_DIR / batch_id


def dir_hash(directory: str | Path) -> str:
    """SHA-256 over the relative names and bytes of every file below `directory` (sorted)."""
    h = hashlib.sha256()
    root = Path(directory)
    if root.is_dir():
        for p in sorted(q for q in root.rglob("*") if q.is_file() and not q.name.startswith(".")):
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# ---- batches -------------------------------------------------------------------------------


def manifest_path(kb_root: str | Path, batch_id: str) -> Path:
    return state_dir(kb_root) / BATCHES_DIR / f"{batch_id}.json"


def register_batch(kb_root: str | Path, batch_id: str, paths: Iterable[str | os.PathLike[str]],
                   *, follow_links: bool = False) -> list[str]:
    """Record which files (directories expanded, `.mapperignore` honoured, links not followed
    out of their folder) make up a batch; the links left out are listed in the manifest."""
    skipped: list[SkippedLink] = []
    files = list(dict.fromkeys(str(p.resolve()) for p in iter_inputs(paths, follow_links=follow_links, skipped=skipped)))
    _write_json(manifest_path(kb_root, batch_id), {
        "batch_id": batch_id, "created_at": datetime.now(UTC).isoformat(), "files": files,
        "skipped_links": [s.__dict__ for s in skipped]})
    return files


def batch_files(kb_root: str | Path, batch_id: str) -> list[str]:
    manifest = _read_json(manifest_path(kb_root, batch_id))
    if manifest is None:
        raise FileNotFoundError(f"batch {batch_id!r} has no manifest at {manifest_path(kb_root, batch_id)}")
    return list(manifest["files"])


def batches(kb_root: str | Path) -> list[str]:
    d = state_dir(kb_root) / BATCHES_DIR
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def unlanded_batches(kb_root: str | Path) -> list[str]:
    """Registered batches that have not landed (never run, failed, or held)."""
    return [b for b in batches(kb_root) if not (work_dir(kb_root, b) / "landed.json").is_file()]


# ---- stage 1: ingest -----------------------------------------------------------------------


def ingest(settings: Settings, batch_id: str, only: str | None = None) -> dict[str, Any]:
    """Store each input's bytes by SHA-256; `only` (a path, or a document id or its prefix)
    restricts the batch to one document, for re-processing it alone."""
    by_id = bool(only) and not Path(only).exists() and _is_hex(only)
    files = [str(Path(only).resolve())] if only and not by_id else batch_files(settings.kb_root, batch_id)
    store = RawStore(settings.raw_root)
    entries, missing = [], []
    for f in files:
        try:
            sha, size = _store(Path(f), store, settings.limits.max_bytes)
        except OSError:
            missing.append(f)
            continue
        if by_id and not sha.startswith(only.lower()):
            continue
        entries.append({"path": f, "sha256": sha, "size": size})
    if only and not entries:
        raise FileNotFoundError(f"no input of batch {batch_id!r} matches document {only!r}")
    _write_json(work_dir(settings.kb_root, batch_id) / "raw.json",
                {"scope": "document" if only else "batch", "files": entries, "missing": missing})
    return {"documents": len(entries), "bytes": sum(e["size"] for e in entries), "missing": missing,
            "scope": "document" if only else "batch"}


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


def _is_hex(s: str) -> bool:
    return len(s) >= 8 and all(c in "0123456789abcdefABCDEF" for c in s)


# ---- stage 2: parse ------------------------------------------------------------------------


def _repath(doc: Document, path: str) -> Document:
    """A cached document parsed from the same bytes at another path: point it at this one."""
    old = doc.source_path
    for d in doc.walk():
        if d.source_path == old or d.source_path.startswith(old + "#"):
            d.source_path = path + d.source_path[len(old):]
    doc.name = Path(path).name
    return doc


def parse(settings: Settings, batch_id: str, *, use_cache: bool = True) -> dict[str, Any]:
    """Parse the batch's inputs, reusing cached results for bytes parsed before
    (`use_cache=False` re-parses everything, e.g. after a parser fix, and refreshes the cache)."""
    kb = state_dir(settings.kb_root)
    raw = _read_json(work_dir(kb, batch_id) / "raw.json")
    if raw is None:
        raise FileNotFoundError(f"batch {batch_id!r} has not been ingested")
    stats = {"documents": 0, "cached": 0, "parsed": 0, "quarantined": 0, "attachments": 0}

    def docs() -> Iterator[Document]:
        todo = []
        for e in raw["files"]:
            hit = parse_cache.cache_path(kb, parse_cache.cache_key(e["sha256"], e["path"], settings.limits))
            cached = parse_cache.read(hit, parse_cache.cache_key(e["sha256"], e["path"], settings.limits)) \
                if use_cache and hit.is_file() else None
            if cached is not None:
                stats["cached"] += 1
                yield _repath(cached, e["path"])
            else:
                todo.append(e["path"])
        store = RawStore(settings.raw_root)
        for doc in parse_files_cached(todo, settings, store):
            stats["parsed"] += 1
            yield doc

    def counted() -> Iterator[Document]:
        for doc in docs():
            stats["documents"] += 1
            stats["attachments"] += len(doc.walk()) - 1
            stats["quarantined"] += doc.status is Status.QUARANTINED
            yield doc

    _dump_stream(work_dir(kb, batch_id) / PARSED, counted())
    return stats


def parse_files_cached(paths: list[str], settings: Settings, store: RawStore) -> Iterator[Document]:
    from pipelines.parse.run import parse_files

    kb = state_dir(settings.kb_root)
    for doc in parse_files(paths, workers=settings.workers, limits=settings.limits, store=store):
        parse_cache.write(kb, doc, settings.limits)
        yield doc


# ---- stage 3: extract ----------------------------------------------------------------------


def _with_parents(doc: Document, parent: Document | None = None) -> Iterator[tuple[Document, Document | None]]:
    yield doc, parent
    for child in doc.children:
        yield from _with_parents(child, doc)


def extract(settings: Settings, batch_id: str, mapper: Mapper) -> dict[str, Any]:
    """Classify and map every parsed document (rules, the generic extractor, then the LLM
    for what they left open when an endpoint is configured)."""
    per_schema: dict[str, int] = {}
    stats: dict[str, Any] = {"documents": 0, "attachments": 0, "records": 0, "unclassified": 0}

    def items() -> Iterator[Extracted]:
        for doc in _load_stream(work_dir(settings.kb_root, batch_id) / PARSED):
            results = []
            stats["documents"] += 1
            for d, parent in _with_parents(doc):
                stats["attachments"] += d is not doc
                if d.status is Status.QUARANTINED:
                    results.append((d, None))
                    continue
                r = mapper.map(d, parent)
                if r.classification is None:
                    stats["unclassified"] += 1
                for rec in r.records:
                    per_schema[rec.schema] = per_schema.get(rec.schema, 0) + 1
                    stats["records"] += 1
                results.append((d, r))
            yield Extracted(doc, results)

    llm = mapper.with_llm(settings.kb_root, batch_id)
    try:
        _dump_stream(work_dir(settings.kb_root, batch_id) / EXTRACTED, items())
    finally:
        if llm is not None:
            llm.flush()  # the audit trail is kept even when the stage fails
        mapper.llm = None
    llm_stats = llm.stats.as_dict() if llm else None
    _write_json(work_dir(settings.kb_root, batch_id) / "llm.json", llm_stats)
    return stats | {"per_schema": per_schema, "llm": llm_stats}


# ---- stage 4: validate and judge -----------------------------------------------------------


def decide(doc: Document, result: Any, mapper: Mapper) -> DocOutcome:
    """`Mapper.decide` after mapping: the document's outcome from its map result."""
    return mapper.outcome_of(doc, result)


@dataclass
class HoldPolicy:
    """When a batch is held: its problem rate (share of documents sent to review or
    quarantine) exceeds both `recent * ratio` and `recent + jump`, where `recent` is the
    median over the last `window` batches; needs `min_history` batches and `min_documents`."""

    ratio: float = 1.5
    jump: float = 0.25
    window: int = 10
    min_history: int = 3
    min_documents: int = 5

    @classmethod
    def from_env(cls) -> HoldPolicy:
        env = os.environ.get
        return cls(ratio=float(env("MAPPER_HOLD_RATIO") or 1.5), jump=float(env("MAPPER_HOLD_JUMP") or 0.25),
                   window=int(env("MAPPER_HOLD_WINDOW") or 10), min_history=int(env("MAPPER_HOLD_MIN_HISTORY") or 3),
                   min_documents=int(env("MAPPER_HOLD_MIN_DOCUMENTS") or 5))


def problem_rate(summary: dict[str, Any]) -> float:
    total = sum(summary["outcomes"].values()) + sum(summary["attachment_outcomes"].values())
    bad = sum(summary[k].get(o, 0) for k in ("outcomes", "attachment_outcomes") for o in (REVIEW, QUARANTINED))
    return bad / total if total else 0.0


def recent_rates(kb_root: str | Path, exclude: str, window: int) -> list[float]:
    """Problem rates of the latest whole batches (not single-document re-runs) before this one."""
    found = []
    root = state_dir(kb_root) / WORK_DIR
    for p in root.glob("*/summary.json") if root.is_dir() else ():
        s = _read_json(p)
        if s and s["batch_id"] != exclude and s.get("scope") == "batch":
            found.append((s.get("validated_at", ""), s["problem_rate"]))
    return [rate for _, rate in sorted(found)[-window:]]


def judge(settings: Settings, batch_id: str, mapper: Mapper, policy: HoldPolicy | None = None) -> dict[str, Any]:
    """Validate every record, decide each document's outcome, and decide whether to hold the batch."""
    wd = work_dir(settings.kb_root, batch_id)
    summary = Summary(batch_id, kb_root=str(settings.kb_root))
    mapper.remember_decisions(settings.kb_root)

    def items() -> Iterator[list[DocOutcome]]:
        for ex in _load_stream(wd / EXTRACTED):
            summary.inputs += 1
            outcomes = []
            for d, result in ex.results:
                oc = decide(d, result, mapper)
                top = d is ex.document
                (summary.outcomes if top else summary.attachment_outcomes)[oc.outcome] += 1
                summary.attachments += not top
                count_outcome(summary, oc)
                outcomes.append(oc)
            yield outcomes

    _dump_stream(wd / VALIDATED, items())
    scope = _scope(settings.kb_root, batch_id)
    missing = _read_json(wd / "raw.json", {}).get("missing", [])
    summary.llm = _read_json(wd / "llm.json")
    if summary.llm is not None:
        summary.llm_off_fields = 0
    out = summary.as_dict() | {"scope": scope, "validated_at": datetime.now(UTC).isoformat(), "missing_files": missing}
    out["problem_rate"] = problem_rate(out)
    _write_json(wd / _SUMMARY[scope], out)
    if scope == "batch":  # re-running one document neither sets nor clears the batch's hold
        _write_json(wd / "hold.json", assess_hold(settings.kb_root, out, policy or HoldPolicy.from_env()))
    (wd / _LANDED[scope]).unlink(missing_ok=True)
    return out


_SUMMARY = {"batch": "summary.json", "document": "summary.document.json"}
_LANDED = {"batch": "landed.json", "document": "landed.document.json"}


def _scope(kb_root: str | Path, batch_id: str) -> str:
    """'batch', or 'document' while the batch's work area holds a one-document re-run."""
    return _read_json(work_dir(kb_root, batch_id) / "raw.json", {}).get("scope", "batch")


def assess_hold(kb_root: str | Path, summary: dict[str, Any], policy: HoldPolicy) -> dict[str, Any]:
    rate = summary["problem_rate"]
    history = recent_rates(kb_root, summary["batch_id"], policy.window)
    recent = statistics.median(history) if history else None
    documents = summary["inputs"] + summary["attachments"]
    held = (recent is not None and len(history) >= policy.min_history and documents >= policy.min_documents
            and summary.get("scope") == "batch"
            and rate > recent * policy.ratio and rate > recent + policy.jump)
    reason = (f"{rate:.0%} of documents went to review or quarantine against a recent level of {recent:.0%} "
              f"(median of {len(history)} batches); held back from the KB until released"
              if held else None)
    return {"held": held, "problem_rate": rate, "recent_rate": recent, "history": len(history),
            "documents": documents, "reason": reason, "policy": asdict(policy)}


def batch_summary(kb_root: str | Path, batch_id: str) -> dict[str, Any]:
    """The judge stage's summary of the batch (empty before it ran)."""
    wd = work_dir(kb_root, batch_id)
    return _read_json(wd / _SUMMARY[_scope(kb_root, batch_id)], {})


def hold_status(kb_root: str | Path, batch_id: str) -> dict[str, Any]:
    """The batch's hold decision and, if a person released it, the release."""
    wd = work_dir(kb_root, batch_id)
    hold = {"held": False, "reason": None, "problem_rate": None, "recent_rate": None}
    return hold | _read_json(wd / "hold.json", {}) | {"release": _read_json(wd / "release.json")}


def release(kb_root: str | Path, batch_id: str, released_by: str, note: str = "") -> dict[str, Any]:
    """Record that a person let a held batch through to the KB."""
    if not (work_dir(kb_root, batch_id) / "hold.json").is_file():
        raise FileNotFoundError(f"batch {batch_id!r} has not been validated; nothing to release")
    rel = {"batch_id": batch_id, "released_by": released_by, "note": note,
           "released_at": datetime.now(UTC).isoformat()}
    _write_json(work_dir(kb_root, batch_id) / "release.json", rel)
    return rel


# ---- stage 5: land -------------------------------------------------------------------------


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
    for outcomes in _load_stream(wd / VALIDATED):
        inputs += 1
        for oc in outcomes:
            documents[oc.outcome] += 1
            for rec in oc.records:
                bucket = review if oc.issues.get(rec.record_id) or rec.schema not in mapper.schemas else landed
                bucket[rec.schema] = bucket.get(rec.schema, 0) + 1
            writer.add(oc)
    writer.flush()
    out = {"batch_id": batch_id, "inputs": inputs, "documents": documents, "landed_records": landed, "review_records": review,
           "landed_at": datetime.now(UTC).isoformat()}
    _write_json(wd / _LANDED[_scope(settings.kb_root, batch_id)], out)
    return out


# ---- checks on the knowledge base ----------------------------------------------------------


@dataclass
class CheckOutcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)


def _table_or_none(kb_root: str | Path, name: str, columns: list[str] | None = None) -> pa.Table | None:
    from pipelines.land.kb import KnowledgeBase, TableNotFoundError

    try:
        return KnowledgeBase(kb_root).read(name, columns)
    except TableNotFoundError:
        return None


def check_reconciles(kb_root: str | Path, batch_id: str) -> CheckOutcome:
    """Every document the batch validated has exactly one row in the catalog from this landing."""
    wd, scope = work_dir(kb_root, batch_id), _scope(kb_root, batch_id)
    summary, landed = _read_json(wd / _SUMMARY[scope]), _read_json(wd / _LANDED[scope])
    if summary is None or landed is None:
        return CheckOutcome(False, {"reason": "batch not validated and landed"})
    expected = summary["inputs"] + summary["attachments"]
    got = sum(landed["documents"].values())
    return CheckOutcome(expected == got and summary["reconciles"],
                        {"documents": expected, **{k: v for k, v in landed["documents"].items()}})


def check_required_fields(kb_root: str | Path, batch_id: str, mapper: Mapper) -> CheckOutcome:
    """Landed records of this batch have every required field of their schema filled."""
    missing: dict[str, int] = {}
    rows: dict[str, int] = {}
    for name, schema in mapper.schemas.items():
        required = [f for f, spec in schema.fields.items() if spec.required]
        t = _table_or_none(kb_root, name, ["batch_id", *required])
        if t is None or "batch_id" not in t.column_names:
            continue
        t = t.filter(pc.equal(t.column("batch_id"), batch_id))
        rows[name] = t.num_rows
        for f in required:
            n = t.column(f).null_count if f in t.column_names else t.num_rows
            if n:
                missing[f"{name}.{f}"] = n
    return CheckOutcome(not missing, {"rows": rows, "missing_required": missing})


def check_unique_record_ids(kb_root: str | Path, mapper: Mapper) -> CheckOutcome:
    """No record_id appears twice in any record table of the KB."""
    dups: dict[str, int] = {}
    for name in mapper.schemas:
        t = _table_or_none(kb_root, name, ["record_id"])
        if t is None:
            continue
        n = t.num_rows - len(pc.unique(t.column("record_id")))
        if n:
            dups[name] = n
    return CheckOutcome(not dups, {"duplicates": dups})


def check_conformance(kb_root: str | Path, mapper: Mapper) -> CheckOutcome:
    """Every record table has the columns and types of its schema's Arrow schema."""
    from pipelines.land.kb import KnowledgeBase

    kb = KnowledgeBase(kb_root)
    bad: dict[str, str] = {}
    tables = 0
    for name, schema in mapper.schemas.items():
        dt = kb.table(name)
        if dt is None:
            continue
        tables += 1
        want, got = schema.arrow_schema(), kb.arrow_schema(dt)
        diff = [f"{w.name}: {w.type}" for w in want if w.name not in got.names or not _same_type(got.field(w.name).type, w.type)]
        extra = [n for n in got.names if n not in want.names]
        if diff or extra:
            bad[name] = ("; ".join(diff) or f"extra columns {extra}")[:300]
    return CheckOutcome(not bad, {"tables": tables, "nonconforming": bad})


def _same_type(got: pa.DataType, want: pa.DataType) -> bool:
    """Delta stores strings as large/view strings and drops field nullability in nested types."""
    from pipelines.land.kb import comparable_type

    return comparable_type(got).equals(comparable_type(want))
