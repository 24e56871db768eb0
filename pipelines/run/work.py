"""Map and judge inside the parse workers, so both cores do the whole per-document work.

With parse workers and no LLM endpoint (`mapper run --direct`), each worker loads the schemas,
rules and reviewers' decisions once (`setup`), then for each input file reads the parse cache
or parses it (filling the cache), maps and judges every document of the tree, and sends back
only the outcomes: records, issues and each document's catalog fields, no text, word boxes or
pages. The main process only counts and writes. LLM calls stay in the main process (one budget,
one audit log, one answer cache), so with an endpoint mapping stays there too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import Settings
from pipelines.ingest.raw_store import RawStore
from pipelines.model.document import Document, Status, content_id
from pipelines.parse import cache as parse_cache
from pipelines.parse.limits import Limits
from pipelines.parse.run import parse_file, parse_files
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import DocOutcome, Summary
from pipelines.run.stages import _repath, with_parents
from pipelines.storage import state_dir

_WORKER: dict[str, object] = {}  # this worker process's mapper and settings (set by `setup`)


@dataclass
class Judged:
    """One input file's outcomes (the file first, then its attachments depth first)."""

    outcomes: list[DocOutcome]
    from_cache: bool = False


def setup(settings: Settings) -> None:
    """Once per worker: the mapper, with the decisions people made (so they hold here too)."""
    mapper = Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    mapper.remember_decisions(settings.kb_root)
    mapper.use_cache(settings.kb_root)
    _WORKER.update(mapper=mapper, settings=settings)


def parse_and_judge(path: str, limits: Limits, store_root: str | None) -> Judged:
    """The worker's task for one input file (runs in the worker process)."""
    mapper, settings = _WORKER["mapper"], _WORKER["settings"]
    assert isinstance(mapper, Mapper) and isinstance(settings, Settings)
    state = state_dir(settings.kb_root)
    doc = _cached(path, limits, state)
    from_cache = doc is not None
    if doc is None:
        doc = parse_file(path, limits, RawStore(store_root) if store_root else None)
        parse_cache.write(state, doc, limits)
    outcomes = [mapper.outcome_of(d, None if d.status is Status.QUARANTINED else mapper.map(d, parent))
                for d, parent in with_parents(doc)]
    return Judged([dataclasses.replace(oc, document=_light(oc.document)) for oc in outcomes], from_cache=from_cache)


def _cached(path: str, limits: Limits, state: Path) -> Document | None:
    try:
        data = Path(path).read_bytes() if Path(path).stat().st_size <= limits.max_bytes else None
    except OSError:
        return None  # parse_file says why
    if data is None:
        return None
    key = parse_cache.cache_key(content_id(data), path, limits)
    hit = parse_cache.cache_path(state, key)
    doc = parse_cache.read(hit, key) if hit.is_file() else None
    return _repath(doc, path) if doc is not None else None


def _light(doc: Document) -> Document:
    """What the catalog and the summary need of a document: no text, elements, pages or children."""
    email = doc.metadata.get("email")
    return dataclasses.replace(doc, text="", elements=[], pages=[], children=[],
                               metadata={"email": email} if email is not None else {})


def judge_in_workers(files: Iterable[str | Path], settings: Settings, store: RawStore, mapper: Mapper,
                     summary: Summary) -> Iterator[list[DocOutcome]]:
    """Each input file's outcomes, decided in the workers and counted here; a file whose worker
    timed out or died comes back as a quarantined Document and is judged here."""
    results = parse_files([str(f) for f in files], workers=settings.workers, limits=settings.limits, store=store,
                          task=parse_and_judge, setup=(setup, (settings,)), step="parsing and mapping")
    for item in results:
        if isinstance(item, Judged):
            outcomes = item.outcomes
        else:
            outcomes = [mapper.outcome_of(d, None if d.status is Status.QUARANTINED else mapper.map(d, p))
                        for d, p in with_parents(item)]
        for i, oc in enumerate(outcomes):
            summary.add(oc, top=i == 0)
        yield outcomes
