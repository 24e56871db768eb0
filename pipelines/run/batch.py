"""Batches: which input files make one up (the manifest), their ids, which have not landed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pipelines.ingest.walk import SkippedLink, iter_inputs, report_skip
from pipelines.run.files import batches_root, manifest_path, read_json, work_dir, write_json


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def input_files(paths: Iterable[str | os.PathLike[str]], *, follow_links: bool = False,
                skipped: list[SkippedLink] | None = None, exclude: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """The files PATHS name, each once, by its absolute resolved path: a document's source path
    (and so its record ids) is the same however the file was named (`./x`, `../in/x`, an
    absolute path) and whichever run path (Dagster or `--direct`) took it, so a re-run upserts
    its records instead of landing them again."""
    skipped = skipped if skipped is not None else []
    files = list(dict.fromkeys(p.resolve() for p in iter_inputs(paths, follow_links=follow_links, skipped=skipped)))
    # the KB's own files (raw store, tables, caches, hand-offs) are never inputs: `mapper run .`
    # beside the KB would land its stored originals again and queue its Parquet files for review
    roots = [Path(r).resolve() for r in exclude if "://" not in str(r)]
    inside = {f for f in files if any(f.is_relative_to(r) for r in roots)}
    for f in sorted(inside):
        report_skip(skipped, str(f), "", "inside_kb")
    return [f for f in files if f not in inside]


def register_batch(kb_root: str | Path, batch_id: str, paths: Iterable[str | os.PathLike[str]],
                   *, follow_links: bool = False) -> list[str]:
    """Record which files (directories expanded, `.mapperignore` honoured, links not followed
    out of their folder) make up a batch; the links left out are listed in the manifest."""
    skipped: list[SkippedLink] = []
    files = [str(p) for p in input_files(paths, follow_links=follow_links, skipped=skipped, exclude=[kb_root])]
    write_json(manifest_path(kb_root, batch_id), {
        "batch_id": batch_id, "created_at": datetime.now(UTC).isoformat(), "files": files,
        "skipped_links": [s.__dict__ for s in skipped]})
    return files


def batch_files(kb_root: str | Path, batch_id: str) -> list[str]:
    manifest = read_json(manifest_path(kb_root, batch_id))
    if manifest is None:
        raise FileNotFoundError(f"batch {batch_id!r} has no manifest at {manifest_path(kb_root, batch_id)}")
    return list(manifest["files"])


def batches(kb_root: str | Path) -> list[str]:
    d = batches_root(kb_root)
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def unlanded_batches(kb_root: str | Path) -> list[str]:
    """Registered batches that have not landed (never run, failed, or held)."""
    return [b for b in batches(kb_root) if not (work_dir(kb_root, b) / "landed.json").is_file()]


def dir_hash(directory: str | Path) -> str:
    """SHA-256 over the relative names and bytes of every file below `directory` (sorted)."""
    h = hashlib.sha256()
    root = Path(directory)
    if root.is_dir():
        for p in sorted(q for q in root.rglob("*") if q.is_file() and not q.name.startswith(".")):
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
