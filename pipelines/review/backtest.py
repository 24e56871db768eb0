"""Backtest a candidate rule set against every stored document its selector matches.

For each stored parsed document the candidate would claim, the document is mapped with the
current rules plus the candidate and compared with:
  - its current values: the KB record (landed) or the review item's proposal;
  - values a person confirmed (the latest accept/correct decision's `after` values) and values
    that landed with high confidence: a candidate that changes one of those breaks it.
The report says how many documents it would change, whether it reproduces the confirmed
values (the corrected document's own among them) and what it would break. A candidate is
refused (not ok) when, on any document it claims:
  - it changes a value a person corrected or confirmed to anything else;
  - it changes a landed high-confidence value today's rules reproduce;
  - it leaves a required field empty that today's rules fill;
  - on its own document, it does not reproduce every value the person corrected (a
    line table excepted: those are learned when they can be, else left to the person).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.config import Settings
from pipelines.land.kb import KnowledgeBase, TableNotFoundError
from pipelines.map.rule_engine import convert
from pipelines.map.learned_aliases import with_learned_aliases
from pipelines.map.mapper import map_document
from pipelines.map.rules import RuleBook, load_rules
from pipelines.model.schema import FieldSpec, Schema, load_schemas
from pipelines.map.selectors import DocView, matches
from pipelines.review.documents import stored_documents
from pipelines.review.learn import Candidate
from pipelines.review.store import ReviewStore
from pipelines.validate.validator import validate

HIGH_CONFIDENCE = 0.9  # a landed value this sure counts as confirmed
NUMERIC = {"amount", "number", "integer", "decimal"}


@dataclass
class BacktestReport:
    candidate_id: str
    matched_documents: int = 0
    changed_documents: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)  # {document_id, source_path, field, old, new}
    confirmed_checked: int = 0
    confirmed_reproduced: int = 0
    broken: list[dict[str, Any]] = field(default_factory=list)  # {document_id, source_path, field, confirmed, new}
    own_document: str | None = None
    own_reproduced: bool = False  # every corrected value comes back on the corrected document
    would_land: int = 0  # matched documents whose mapped record passes validation
    would_review: int = 0

    @property
    def ok(self) -> bool:
        return not self.broken and (self.own_document is None or self.own_reproduced)

    def summary(self) -> dict[str, Any]:
        return {"matched_documents": self.matched_documents, "changed_documents": self.changed_documents,
                "confirmed_checked": self.confirmed_checked, "confirmed_reproduced": self.confirmed_reproduced,
                "broken": len(self.broken), "own_reproduced": self.own_reproduced,
                "would_land": self.would_land, "would_review": self.would_review}

    def as_dict(self) -> dict[str, Any]:
        return {"candidate_id": self.candidate_id, **self.summary(), "ok": self.ok,
                "changes": self.changes, "broken_values": self.broken}


# ---- comparing values across their forms (Python, Arrow, JSON) -------------------------------


def canon(value: Any, spec: FieldSpec | None) -> Any:
    """A comparable form: numbers as plain decimal strings, dates ISO, lists element-wise."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        sub = spec.items if spec is not None and isinstance(spec.items, dict) else {}
        item_spec = spec if spec is not None and isinstance(spec.items, str) else None
        return [({k: canon(v, sub.get(k)) for k, v in x.items() if canon(v, sub.get(k)) is not None}
                 if isinstance(x, dict) else canon(x, item_spec)) for x in value]
    kind = (spec.items if spec is not None and spec.type == "list" and isinstance(spec.items, str)
            else spec.type if spec is not None else None)
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool) or (kind in NUMERIC and isinstance(value, str)):
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return " ".join(value.split())  # the same words: the same value, however they were spaced
    return value


def _values(fields: dict[str, Any], schema: Schema) -> dict[str, Any]:
    return {k: canon(v, schema.fields.get(k)) for k, v in fields.items() if k in schema.fields}


# ---- what the KB holds now ------------------------------------------------------------------


def _kb_state(settings: Settings, schemas: dict[str, Schema]) -> tuple[dict, dict, dict, dict]:
    """(current values, confirmed values, source paths, values a person decided), each keyed
    by (schema, document_id); confirmed includes the person's values."""
    kb = KnowledgeBase(settings.kb_root)
    current: dict[tuple[str, str], dict[str, Any]] = {}
    confirmed: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    paths: dict[tuple[str, str], str] = {}
    tables = set(kb.tables())
    for name, schema in schemas.items():
        if name not in tables:
            continue
        try:
            rows = kb.read(name).to_pylist()
        except TableNotFoundError:
            continue
        for row in rows:
            key = (name, row["document_id"])
            if key in current:
                continue  # one record per document is what rule sets with records: one produce
            current[key] = _values({k: row.get(k) for k in schema.fields}, schema)
            paths[key] = row.get("source_path") or ""
            for p in row.get("provenance") or []:
                f = p.get("field")
                if f in current[key] and (p.get("confidence") or 0) >= HIGH_CONFIDENCE and p.get("method") != "default":
                    confirmed[key][f] = current[key][f]
    store = ReviewStore(settings.kb_root)
    for item in store.items(status=None):
        key = (item.schema, item.document_id)
        schema = schemas.get(item.schema)
        if schema is None:
            continue
        paths.setdefault(key, item.source_path)
        if key not in current:
            current[key] = _values({k: v.get("value") for k, v in item.fields.items()}, schema)
    latest: dict[str, Any] = {}
    for d in store.decisions():
        if d.action in ("accept", "correct") and d.after is not None:
            if d.review_id not in latest or d.version > latest[d.review_id].version:
                latest[d.review_id] = d
        elif d.action == "reject" and d.review_id in latest and d.version > latest[d.review_id].version:
            del latest[d.review_id]
    person: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for d in latest.values():
        schema = schemas.get(d.schema)
        if schema is not None:
            person[(d.schema, d.document_id)].update(_values(d.after or {}, schema))
            confirmed[(d.schema, d.document_id)].update(person[(d.schema, d.document_id)])
    return current, confirmed, paths, person


# ---- the backtest ---------------------------------------------------------------------------


def book_with(settings: Settings, schemas: dict[str, Schema], cand: Candidate) -> RuleBook:
    """The current rules with the candidate in place (replacing the rule set it extends)."""
    book = load_rules(settings.mappings_dir, schemas)
    sets = [rs for rs in book.rule_sets if rs.id != cand.rule_set.id] + [cand.rule_set]
    sets.sort(key=lambda r: -r.priority)
    return RuleBook(rule_sets=sets, classifiers=book.classifiers)


def backtest(settings: Settings, cand: Candidate) -> BacktestReport:
    schemas = with_learned_aliases(load_schemas(settings.schemas_dir), settings.mappings_dir)
    book = book_with(settings, schemas, cand)
    old_book = load_rules(settings.mappings_dir, schemas)
    current, confirmed, paths, person = _kb_state(settings, schemas)
    report = BacktestReport(cand.id, own_document=cand.source.get("document_id"))
    rs = cand.rule_set
    schema_of = schemas[rs.schema_name]
    own_fields = {c["field"] for c in cand.source.get("corrections") or []
                  if c["field"] in schema_of.fields and c["field"] not in rs.review_fields}
    own_fields |= {c["field"] for c in cand.source.get("confirmed") or [] if c["field"] in rs.fields}
    for doc, parent in stored_documents(settings):
        view = DocView(doc, parent)
        if not matches(rs.match, view):
            continue
        result = map_document(doc, schemas, book, parent)
        if result.classification is None or result.classification.rule_set is None \
                or result.classification.rule_set.id != rs.id:
            continue  # a rule set ranked higher claims it: the candidate changes nothing here
        report.matched_documents += 1
        schema = schemas[rs.schema_name]
        key = (rs.schema_name, doc.id)
        record = result.records[0] if result.records else None
        new = _values(record.values(), schema) if record else {}
        if record is not None:
            if validate(record, schema, doc):
                report.would_review += 1
            else:
                report.would_land += 1
        path = paths.get(key) or doc.source_path
        old = current.get(key)
        if old is not None:
            changed = False
            for f in sorted(set(old) | set(new)):
                if old.get(f) != new.get(f):
                    changed = True
                    report.changes.append({"document_id": doc.id, "source_path": path, "field": f,
                                           "old": old.get(f), "new": new.get(f)})
            report.changed_documents += changed
        old_result = map_document(doc, schemas, old_book, parent)
        before = _values(old_result.records[0].values(), schema) if old_result.records else {}
        decided = person.get(key, {})
        for f, want in sorted(confirmed.get(key, {}).items()):
            report.confirmed_checked += 1
            if new.get(f) == want:
                report.confirmed_reproduced += 1
                continue
            # broken: the candidate moves a value away from what a person decided, or loses a
            # value today's rules reproduce (a miss it shares with today's rules is no change)
            if before.get(f) == want or (f in decided and new.get(f) != before.get(f)):
                report.broken.append({"document_id": doc.id, "source_path": path, "field": f,
                                      "confirmed": want, "new": new.get(f),
                                      "why": "changes a value a person decided" if f in decided
                                      else "changes a landed value today's rules reproduce"})
        for f, spec in schema.fields.items():
            if spec.required and before.get(f) is not None and new.get(f) is None and f not in confirmed.get(key, {}):
                report.broken.append({"document_id": doc.id, "source_path": path, "field": f,
                                      "confirmed": before.get(f), "new": None,
                                      "why": "empties a required field today's rules fill"})
        if doc.id == report.own_document:
            want = confirmed.get(key, {})
            report.own_reproduced = all(f in want and new.get(f) == want[f] for f in own_fields) if want else \
                _reproduces_corrections(cand, new, schema)
    return report


def _reproduces_corrections(cand: Candidate, new: dict[str, Any], schema: Schema) -> bool:
    """Without a recorded decision (a scripted proposal): compare with the correction values."""
    for c in [*(cand.source.get("corrections") or []), *(cand.source.get("confirmed") or [])]:
        spec = schema.fields.get(c["field"])
        if spec is None or c["field"] not in cand.rule_set.fields:
            continue
        try:
            want = canon(convert(c["value"], spec, None), spec)
        except ValueError:
            return False
        if new.get(c["field"]) != want:
            return False
    return True


__all__ = ["BacktestReport", "backtest", "book_with", "canon"]
