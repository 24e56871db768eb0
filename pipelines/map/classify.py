"""Which schema a document maps to, and how many records it holds.

Order of authority: a rule set whose selectors claim the document (the most specific
knowledge, coached by reviewers), then the classifiers in `mappings/`, then the schemas'
own `classify` hints (keywords and media types) as a generic fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.map.rules import RuleBook, RuleSet, Selector
from pipelines.model.schema import Schema
from pipelines.map.selectors import DocView, matches


@dataclass(frozen=True)
class Classification:
    schema: str
    records: str  # "one" or "per_row"
    decided_by: str  # "rule_set:<id>", "classifier:<id>" or "schema_hint:<schema>"
    rule_set: RuleSet | None = None


def classify(view: DocView, book: RuleBook, schemas: dict[str, Schema]) -> list[Classification]:
    """Return the document's classifications (usually one); empty when nothing claims it."""
    for rs in book.rule_sets:
        if matches(rs.match, view):
            return [Classification(rs.schema_name, rs.records, f"rule_set:{rs.id}", rs)]
    for c in book.classifiers:
        if matches(c.when, view):
            return [Classification(c.schema_name, c.records, f"classifier:{c.id}")]
    rows = _classify_rows(view, schemas)
    if rows is not None:
        return [rows]
    best: tuple[int, Classification] | None = None
    for schema in schemas.values():
        labels = _label_fields(view, schema)
        for hint in schema.classify or [None]:  # type: ignore[list-item]
            if hint is not None and hint.media_types and view.doc.media_type not in hint.media_types:
                continue
            if hint is not None and hint.records == "per_row":
                continue  # data rows were decided above
            hits = sum(view.has_phrase_misread(k) for k in hint.keywords) if hint else 0
            # Keywords say what a document calls itself; labels say which fields it carries.
            score = 2 * hits + labels + (2 if hint is not None and hint.media_types else 0)
            if score >= MIN_SCORE and (best is None or score > best[0]):
                best = (score, Classification(schema.name, "one", f"schema_hint:{schema.name}"))
    return [best[1]] if best else []


MIN_SCORE = 4


def _label_fields(view: DocView, schema: Schema) -> int:
    """How many of the schema's fields have one of their aliases written in the document."""
    return sum(1 for spec in schema.fields.values()
               if any(len(a) > 3 and view.has_phrase_misread(a) for a in spec.aliases))


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _classify_rows(view: DocView, schemas: dict[str, Schema]) -> Classification | None:
    """Data rows (code, SQL, CSV, JSON) belong to the schema whose field names and aliases
    cover most of their keys, provided a required field is among them."""
    keys = {_key(k) for k in view.row_keys}
    if not keys:
        return None
    best: tuple[int, str] | None = None
    for schema in schemas.values():
        covered, required = 0, False
        for name, spec in schema.fields.items():
            names = {_key(name)} | {_key(a) for a in spec.aliases}
            if names & keys:
                covered += 1
                required = required or spec.required
        if covered >= 2 and required and (best is None or covered > best[0]):
            best = (covered, schema.name)
    if best is None:
        return None
    return Classification(best[1], "per_row", f"row_keys:{best[1]}")


__all__ = ["Classification", "classify", "Selector"]
