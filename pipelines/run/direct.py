"""`mapper run --direct`: the batch's stages chained, one input file at a time.

The same stage functions the Dagster assets call (pipelines/run/stages.py), streamed: a file
is parsed (or read from the parse cache), mapped, judged and handed to the writer before the
next one, so memory stays flat however many documents a batch holds. With parse workers and no
LLM endpoint the workers do parse, map and judge (pipelines/run/work.py); this process counts
and writes. No hand-off files and no
stopgap hold (that needs the batch history Dagster runs keep).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pipelines.config import Settings
from pipelines.ingest.raw_store import RawStore
from pipelines.land.catalog import Catalog
from pipelines.land.kb import KnowledgeBase
from pipelines.run.batch import input_files, new_batch_id
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import Summary
from pipelines.run.progress import Progress
from pipelines.run.stages import judge_files, land_files, map_documents, parse_documents, store_inputs
from pipelines.run.work import judge_in_workers
from pipelines.parse.heap import settled_heap
from pipelines.land.writer import BatchWriter


def run(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    *,
    batch_id: str | None = None,
    mapper: Mapper | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Run the pipeline over files/directories and land the results in the KB (`progress`:
    counts documents parsed, mapped and landed as they go, for a display)."""
    mapper = mapper or Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    batch_id = batch_id or new_batch_id()
    kb = KnowledgeBase(settings.kb_root)
    store = RawStore(settings.raw_root)
    summary = Summary(batch_id, kb_root=str(settings.kb_root))
    writer = BatchWriter(kb, Catalog(kb), mapper.schemas, batch_id)
    files = input_files(paths, follow_links=settings.follow_links, exclude=[settings.kb_root, settings.raw_root])
    progress = progress or Progress(len(files), enabled=False)
    progress.total = len(files)
    llm = mapper.with_llm(settings.kb_root, batch_id)
    mapper.remember_decisions(settings.kb_root)
    mapper.use_cache(settings.kb_root)
    with settled_heap():
        try:
            if settings.workers > 0 and llm is None:  # parse, map and judge in the workers
                judged = judge_in_workers(files, settings, store, mapper, summary)
                land_files(progress.counting(judged, "parsed", "mapped", "written"), writer)
            else:
                entries, unread = store_inputs(files, store, settings.limits.max_bytes)
                docs = progress.counting(parse_documents(entries, settings, store, unread=unread), "parsed")
                extracted = progress.counting(map_documents(docs, mapper), "mapped")
                land_files(progress.counting(judge_files(extracted, mapper, summary), "written"), writer)
        finally:
            if llm is not None:
                llm.flush()
    if llm is not None:
        summary.llm = llm.stats.as_dict()
    return summary
