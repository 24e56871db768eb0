"""Corrections also teach the generic extractor, across suppliers: learned label aliases.

The label a reviewer's selection sits next to ("Payable by" beside a due date) is a candidate
alias of that field for every supplier, not only the one whose rule set was learned. It is
adopted only after a backtest over every stored document: the generic extractor with the
alias must not move any value a person decided, nor a landed value today's extraction
reproduces. Adopted aliases are data, `<mappings>/learned/aliases.yaml`, with who and where
they came from; schemas are not edited by hand. `with_learned_aliases` merges them into the
loaded schemas (the pipeline's Mapper, the backtest), and the file is part of the
`mapping_rules` version, so Dagster shows past batches as stale.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pipelines.config import Settings
from pipelines.map.extract.labels import fold_label
from pipelines.map.learned_aliases import aliases_path, load_learned, with_learned_aliases
from pipelines.map.mapper import map_document
from pipelines.map.rules import load_rules
from pipelines.model.schema import Schema, load_schemas
from pipelines.review.backtest import _kb_state, _values
from pipelines.review.documents import stored_documents

MIN_LETTERS = 3  # "To" or "No" alone would fire everywhere


def candidate_aliases(schema: Schema, labelled: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(field, label) pairs worth a backtest: words, not already an alias of any field."""
    known = {fold_label(a) for spec in schema.fields.values() for a in spec.aliases}
    out = []
    for f, label in labelled:
        folded = fold_label(label)
        if f in schema.fields and sum(ch.isalpha() for ch in folded) >= MIN_LETTERS and folded not in known \
                and len(folded.split()) <= 4 and not any(ch.isdigit() for ch in folded):
            out.append((f, label))
    return list(dict.fromkeys(out))


def adopt(settings: Settings, schema: str, pairs: list[tuple[str, str]], by: str, source: dict[str, Any]) -> Path:
    """Append adopted aliases to the aliases file (atomically)."""
    path = aliases_path(settings.mappings_dir)
    data = load_learned(settings.mappings_dir)
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    for f, label in pairs:
        entries = data.setdefault(schema, {}).setdefault(f, [])
        if fold_label(label) not in {fold_label(e["label"]) for e in entries}:
            entries.append({"label": label, "from_review": source.get("review_id"), "document": source.get("source_path"),
                            "adopted_by": by, "adopted_at": when})
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("# Label aliases learned from reviewers' selections, adopted after a backtest over every\n"
            "# stored document. The generic extractor reads them next to the schemas' own aliases.\n"
            + yaml.safe_dump({"aliases": data}, sort_keys=False, allow_unicode=True, width=110))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".aliases")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path




def backtest_aliases(settings: Settings, schema_name: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Map every stored document with and without the candidate aliases; what changes and what
    breaks (a value a person decided moved, or a value today's extraction reproduces lost)."""
    raw = load_schemas(settings.schemas_dir)
    base = with_learned_aliases(raw, settings.mappings_dir)
    extra: dict[str, list[str]] = {}
    for f, label in pairs:
        extra.setdefault(f, []).append(label)
    trial = with_learned_aliases(raw, settings.mappings_dir, {schema_name: extra})
    book = load_rules(settings.mappings_dir, base)
    _, confirmed, paths, person = _kb_state(settings, base)
    report: dict[str, Any] = {"documents": 0, "changed": [], "broken": []}
    for doc, parent in stored_documents(settings):
        old, new = map_document(doc, base, book, parent), map_document(doc, trial, book, parent)
        report["documents"] += 1
        for ro, rn in zip(old.records, new.records):
            schema = trial.get(rn.schema)
            if schema is None or ro.schema != rn.schema:
                continue
            ov, nv = _values(ro.values(), schema), _values(rn.values(), schema)
            key = (rn.schema, doc.id)
            path = paths.get(key) or doc.source_path
            for f in sorted(set(ov) | set(nv)):
                if ov.get(f) != nv.get(f):
                    report["changed"].append({"source_path": path, "field": f, "old": ov.get(f), "new": nv.get(f)})
            for f, want in sorted(confirmed.get(key, {}).items()):
                if nv.get(f) != want and (ov.get(f) == want or (f in person.get(key, {}) and nv.get(f) != ov.get(f))):
                    report["broken"].append({"source_path": path, "field": f, "confirmed": want, "new": nv.get(f)})
    return report


def adopt_after_backtest(settings: Settings, schema_name: str, pairs: list[tuple[str, str]], by: str,
                         source: dict[str, Any]) -> list[dict[str, Any]]:
    """Backtest each candidate alias on its own; adopt those that break nothing. Returns one
    line of outcome per alias ({field, label, adopted, changed, broken})."""
    schema = with_learned_aliases(load_schemas(settings.schemas_dir), settings.mappings_dir).get(schema_name)
    if schema is None:
        return []
    out = []
    for f, label in candidate_aliases(schema, pairs):
        rep = backtest_aliases(settings, schema_name, [(f, label)])
        ok = not rep["broken"]
        if ok:
            adopt(settings, schema_name, [(f, label)], by, source)
        out.append({"field": f, "label": label, "adopted": ok, "documents": rep["documents"],
                    "changed": len(rep["changed"]), "broken": rep["broken"][:5]})
    return out


__all__ = ["adopt", "adopt_after_backtest", "backtest_aliases", "candidate_aliases"]
