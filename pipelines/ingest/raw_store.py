"""Content-addressed store of original bytes, so every result can be reproduced and audited.

The root is a local folder or an object-store URL (`MAPPER_RAW`, or `<kb>/_raw`); URLs go
through fsspec (universal-pathlib), where a put of a whole object is atomic by itself.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pipelines import storage
from pipelines.model.document import content_id

_SHA256 = re.compile(r"[0-9a-f]{64}")


class RawStore:
    """Files live at `<root>/<sha[:2]>/<sha>`; writing the same bytes twice is a no-op.

    Ids often come from files (the catalog's parent ids, review items): anything that is not a
    SHA-256 in hex is refused, so no id can name a path outside the store."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        loc = storage.location(root)
        self.remote = storage.is_remote(loc)
        self.root: Any = storage.upath(loc) if self.remote else Path(root)

    def path_for(self, doc_id: str) -> Any:
        if not isinstance(doc_id, str) or not _SHA256.fullmatch(doc_id):
            raise KeyError(f"not a document id: {doc_id!r}")
        return self.root / doc_id[:2] / doc_id

    def put(self, data: bytes) -> str:
        doc_id = content_id(data)
        target = self.path_for(doc_id)
        if target.exists():
            return doc_id
        if self.remote:  # an object appears whole or not at all
            target.write_bytes(data)
            return doc_id
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a half-written blob under its final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return doc_id

    def get(self, doc_id: str) -> bytes:
        return self.path_for(doc_id).read_bytes()

    def __contains__(self, doc_id: object) -> bool:
        try:
            return self.path_for(doc_id).exists()  # type: ignore[arg-type]
        except KeyError:
            return False
