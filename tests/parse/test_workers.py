"""Parse workers start clean, whatever state the calling process is in."""

from __future__ import annotations

import gc
import mmap
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from pipelines.model.document import Status
from pipelines.parse.limits import Limits
from pipelines.parse.run import parse_file, parse_files


def _reads_table(path: str, limits: Limits, store_root: str | None):
    """A task that opens a Delta table in the worker, as the mapping workers do (review decisions)."""
    table = Path(path).with_suffix(".delta")
    return DeltaTable(str(table)).to_pyarrow_table().num_rows, parse_file(path, limits)


def test_workers_open_tables_after_the_caller_did(tmp_path):
    # A worker forked from a caller that had opened a table inherited deltalake's runtime and panicked.
    write_deltalake(str(tmp_path / "a.delta"), pa.table({"x": [1, 2, 3]}))
    assert DeltaTable(str(tmp_path / "a.delta")).to_pyarrow_table().num_rows == 3  # the caller's runtime is up
    (tmp_path / "a.txt").write_text("Account: 1\n")
    [(rows, doc)] = list(parse_files([tmp_path / "a.txt"], workers=1, task=_reads_table))
    assert rows == 3 and doc.status is Status.PARSED


def test_a_caller_near_the_worker_memory_cap_does_not_starve_its_workers(tmp_path):
    # 2 GB of the caller's address space reserved (never touched): a forked worker would start
    # with it counted against its 1 GB cap and fail its first allocations.
    reserved = mmap.mmap(-1, 2 << 30)
    try:
        (tmp_path / "a.txt").write_text("Account: 1\n" * 100_000)
        [doc] = list(parse_files([tmp_path / "a.txt"], workers=1, limits=Limits(memory_mb=1024)))
    finally:
        reserved.close()
    assert doc.status is Status.PARSED, doc.reason_text


def _heap_state(path: str, limits: Limits, store_root: str | None):
    return gc.get_freeze_count(), gc.get_threshold()


def test_workers_settle_their_heap_before_the_first_document(tmp_path):
    # What a worker loaded before its first document is frozen: full collections no longer re-scan it.
    (tmp_path / "a.txt").write_text("Account: 1\n")
    [(frozen, threshold)] = list(parse_files([tmp_path / "a.txt"], workers=1, task=_heap_state))
    assert frozen > 10_000 and threshold[0] > gc.get_threshold()[0]
