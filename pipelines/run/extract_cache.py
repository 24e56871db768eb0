"""Rules-and-generic mapping results cached by what decides them, in one SQLite file:
`<state>/_cache/mapped-v1.sqlite` (a row per document and key; one file, not a file per
document: creating and renaming a small file costs about a millisecond, more than mapping
some documents).

A re-run over unchanged documents with unchanged rules maps nothing again. A document's
mapping (classification, rules, the generic extractor; no LLM) depends only on the document
(its bytes, its path, which record ids include, and its parent for an attachment), the schemas
and rules it is mapped with, and the mapping code. The key holds a hash of each: the rule and
schema files (reviewers' learned rules and aliases live there too), and the source of the
map and model packages. Judging (validation, reviewers' decisions) is not cached: decisions
change between runs without any of that changing.

Entries are typed JSON checked field by field when read (pipelines/codec.py), never code; an
entry whose stored key differs from the wanted one, or that does not decode, is ignored and
the document is mapped again. Parse workers write concurrently (WAL; a commit per document
without fsync: a crash loses at most the newest entries of a cache, never a result).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from pipelines.codec import CodecError
from pipelines.map.mapper import MapResult
from pipelines.model.document import Document
from pipelines.parse.cache import parser_version
from pipelines.run.handoff import CODEC

CACHE_FILE = "_cache/mapped-v1.sqlite"
FORMAT = "mapper.mapped-document/1"
_PACKAGE = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the mapping code and its data files (calibration, vocabularies) and the model."""
    h = hashlib.sha256()
    files = [p for sub in ("map", "model") for p in (_PACKAGE / sub).rglob("*")
             if p.is_file() and p.suffix in (".py", ".json", ".yaml")]
    for path in sorted([*files, _PACKAGE / "codec.py", _PACKAGE / "run" / "handoff.py", _PACKAGE / "ingest" / "sniff.py"]):
        h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def rules_version(*dirs: str | os.PathLike[str]) -> str:
    """A hash of every file under the schema and mapping folders (names and contents)."""
    h = hashlib.sha256()
    for root in dirs:
        base = Path(root)
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
        h.update(b"\1")
    return h.hexdigest()[:16]


def _belongs(result: MapResult, doc: Document) -> bool:
    """A result that could have come from mapping `doc`: its records are this document's, of the
    schema it was classified as (one record unless read per row), and every value's evidence is
    the document's text at the span it names. Anything else was not written by us: map again."""
    c = result.classification
    if c is None:
        return not result.records
    if c.records == "one" and len(result.records) != 1:
        return False
    for rec in result.records:
        if (rec.document_id, rec.source_path, rec.schema) != (doc.id, doc.source_path, c.schema):
            return False
        for fv in rec.fields.values():
            ev = fv.evidence
            if ev is not None and ev.start is not None and ev.end is not None and (
                    ev.document_id != doc.id or doc.text[ev.start:ev.end] != ev.text):
                return False
    return True


class ExtractCache:
    """Mapping results of one rule version, in one state folder's cache file."""

    def __init__(self, state: str | os.PathLike[str], rules: str) -> None:
        self.path = Path(state) / CACHE_FILE
        self.rules = rules
        self.hits = 0
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _conn(self) -> sqlite3.Connection | None:
        """Opened on first use, in the process that uses it (never inherited over a fork)."""
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS mapped (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
                # a trigger or view someone added would rewrite what is stored or read: not ours
                extra = db.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view') "
                                   "OR (type = 'table' AND name != 'mapped')").fetchone()[0]
                if extra:
                    db.close()
                    raise sqlite3.DatabaseError(f"{self.path}: objects besides the cache table")
                self._db = db
            except (OSError, sqlite3.Error):
                self._broken = True  # unwritable or damaged: map without a cache
        return self._db

    def _key(self, doc: Document, parent: Document | None) -> tuple[dict[str, Any], str]:
        # the parse as well as the bytes: a parser, OCR or limits change gives another text
        key = {"format": FORMAT, "document": doc.id, "path": doc.source_path,
               "parsed": hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).hexdigest(),
               "parser": parser_version(), "parent": [parent.id, parent.source_path] if parent is not None else None,
               "rules": self.rules, "code": code_version()}
        return key, hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def get(self, doc: Document, parent: Document | None) -> MapResult | None:
        db = self._conn()
        if db is None:
            return None
        key, digest = self._key(doc, parent)
        try:
            row = db.execute("SELECT v FROM mapped WHERE k = ?", (digest,)).fetchone()
            if row is None:
                return None
            entry = CODEC.load_json(row[0])
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            result = CODEC.decode(entry.get("result"), MapResult)
        except (sqlite3.Error, ValueError, CodecError, TypeError, KeyError, RecursionError):
            return None  # damaged or foreign: map again
        if not _belongs(result, doc):
            return None
        result.document = doc
        self.hits += 1
        return result

    def put(self, doc: Document, parent: Document | None, result: MapResult) -> None:
        db = self._conn()
        if db is None:
            return
        key, digest = self._key(doc, parent)
        payload = CODEC.to_json(result, MapResult, under="result", key=key)
        if payload is None:
            return  # not representable in JSON: mapped again next time
        try:
            db.execute("INSERT OR REPLACE INTO mapped (k, v) VALUES (?, ?)", (digest, payload.decode("utf-8")))
        except sqlite3.Error:
            pass  # a full disk or a locked file: the next run maps this document again
