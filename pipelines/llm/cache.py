"""Answers stored by (model, prompt, schema version, document hash): unchanged documents cost no call.

Each entry holds its own key and is used only under that key (a copied or renamed file is a miss).
An answer from the cache is still only a claim: it goes through the same grounding as a fresh one."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipelines.storage import state_dir

CACHE_DIR = "_cache/llm"


def cache_key(model: str, messages: list[dict[str, str]], schema: str, schema_version: int, document_id: str) -> str:
    blob = json.dumps([model, messages, schema, schema_version, document_id], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class AnswerCache:
    """One JSON file per answer under `<kb>/_cache/llm/`; writes are atomic renames."""

    def __init__(self, kb_root: str | Path) -> None:
        self.root = state_dir(kb_root) / CACHE_DIR

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        p = self._path(key)
        try:
            entry = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("value"), dict):
            return None
        return entry["value"]

    def put(self, key: str, answer: dict[str, Any]) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "value": answer}, fh, ensure_ascii=False)
        os.replace(tmp, p)
