"""Hand-off I/O: every file a stage writes for the next one, in one place.

A batch's hand-offs live beside its KB, on the same store: `<kb>/_batches/<id>.json` (its
manifest) and `<kb>/_work/<id>/` (stage streams as typed JSON lines, small JSON status files).
For a local KB that is a folder; for `MAPPER_KB=s3://...` (gs://, abfs://) they are objects in
the KB's bucket, reached through fsspec via universal-pathlib (`storage.upath`), so the steps
of a batch can run on machines that share no disk. Paths here are `Path` or `UPath`; both
have the pathlib API the callers use.

Writes are atomic: locally a temporary file then a rename; on an object store one upload (an
object is whole or absent), a stream spooled to a local temporary file first so that a
failing stage leaves nothing half-written. Streams are read lazily, one item per line, so
memory stays flat. Only this module touches these paths' bytes.

Why not a Dagster `UPathIOManager`: the assets pass no Python values (each stage streams a
file that need not fit in memory, item by item), and `mapper run --direct` calls the same
stage functions without Dagster; an IO manager would load each hand-off whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

from pipelines import storage
from pipelines.run import handoff

WORK_DIR, BATCHES_DIR = "_work", "_batches"
PARSED, EXTRACTED, VALIDATED = "parsed.jsonl", "extracted.jsonl", "validated.jsonl"

# A `Path` for a local KB, a `upath.UPath` for a KB on object storage.
StatePath: TypeAlias = Any


def state_root(kb_root: str | Path) -> StatePath:
    """Where a KB's batches keep their hand-offs: the KB's own folder or bucket prefix."""
    return storage.kb_path(kb_root)


def work_root(kb_root: str | Path) -> StatePath:
    return state_root(kb_root) / WORK_DIR


def batches_root(kb_root: str | Path) -> StatePath:
    return state_root(kb_root) / BATCHES_DIR


def work_dir(kb_root: str | Path, batch_id: str) -> StatePath:
    return work_root(kb_root) / batch_id


def manifest_path(kb_root: str | Path, batch_id: str) -> StatePath:
    return batches_root(kb_root) / f"{batch_id}.json"


def _local(path: StatePath) -> bool:
    return isinstance(path, Path)


def write_json(path: StatePath, data: Any) -> None:
    text = json.dumps(data, indent=1, default=str)
    if not _local(path):
        path.write_text(text, encoding="utf-8")  # one PUT: the object is whole or absent
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def read_json(path: StatePath, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return default


def dump_stream(path: StatePath, items: Iterable[Any]) -> int:
    """Write stage items (documents, extracted files, judged files) as JSON lines; the number written."""
    if _local(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    # Locally the temporary file sits beside the target (then a rename); for an object store
    # it is spooled in the system temp folder and uploaded once complete.
    fd, tmp = tempfile.mkstemp(dir=path.parent if _local(path) else None, prefix=".tmp-")
    n = 0
    try:
        # surrogatepass: a lone surrogate a JSON or Python escape decoded to must reach the judge,
        # which quarantines its document, instead of failing the stage for the whole batch
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
            for item in items:
                fh.write(handoff.dumps(item))
                fh.write("\n")
                n += 1
        if _local(path):
            os.replace(tmp, path)
        else:
            path.fs.put_file(tmp, path.path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return n


def load_stream(path: StatePath) -> Iterator[Any]:
    """The items of a stage file, one at a time; HandoffError names the file and line of a bad one."""
    try:
        fh = path.open("rb")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise FileNotFoundError(f"{path} not found: run the previous stage for this batch first") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            try:
                yield handoff.loads(line.decode("utf-8", "surrogatepass"))
            except (ValueError, TypeError) as exc:
                raise handoff.HandoffError(f"{path}, item {n}: {exc}") from exc


def remove(path: StatePath) -> None:
    """Delete a hand-off file or folder (a prefix on an object store); absent is fine."""
    if _local(path):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return
    try:
        path.fs.rm(path.path, recursive=path.is_dir())
    except FileNotFoundError:
        pass
