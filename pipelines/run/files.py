"""Hand-off I/O: every file a stage writes for the next one, in one place.

A batch's state lives under the state root (`storage.state_dir`): `_batches/<id>.json` (its
manifest) and `_work/<id>/` (stage streams as typed JSON lines, small JSON status files).
Writes are atomic (temporary file, then rename); streams are read lazily, one item per line,
so memory stays flat. Only this module touches these paths' bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipelines.run import handoff
from pipelines.storage import state_dir

WORK_DIR, BATCHES_DIR = "_work", "_batches"
PARSED, EXTRACTED, VALIDATED = "parsed.jsonl", "extracted.jsonl", "validated.jsonl"


def work_dir(kb_root: str | Path, batch_id: str) -> Path:
    return state_dir(kb_root) / WORK_DIR / batch_id


def manifest_path(kb_root: str | Path, batch_id: str) -> Path:
    return state_dir(kb_root) / BATCHES_DIR / f"{batch_id}.json"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
    os.replace(tmp, path)


def read_json(path: Path, default: Any = None) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def dump_stream(path: Path, items: Iterable[Any]) -> int:
    """Write stage items (documents, extracted files, judged files) as JSON lines; the number written."""
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


def load_stream(path: Path) -> Iterator[Any]:
    """The items of a stage file, one at a time; HandoffError names the file and line of a bad one."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run the previous stage for this batch first")
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            try:
                yield handoff.loads(line.decode("utf-8"))
            except (ValueError, TypeError) as exc:
                raise handoff.HandoffError(f"{path}, item {n}: {exc}") from exc
