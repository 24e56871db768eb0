"""Line tables learned from a corrected item list.

The reviewer types (or fixes cell by cell) the items of one document. The first item's
printed row is found in the text; the header line above it names the columns: each header
cell becomes the alias of the sub-field whose value sits in the same column of that row
("Bezeichnung" -> description, "Menge" -> quantity, "Einzelpreis" -> unit_price). Rows the
rule then reads that are not items of the person's list (a "Carried forward" row, a page
subtotal) become `skip` phrases. The rule is kept only if it reproduces the whole list.
"""

from __future__ import annotations

from typing import Any

from pipelines.model.document import Document
from pipelines.map.extract import locate
from pipelines.map.normalize import NormalizeError
from pipelines.map.rule_engine import convert, run_rule
from pipelines.map.rules import FieldRule, TableFinder
from pipelines.model.schema import FieldSpec

MAX_HEADER_DISTANCE = 3  # lines between the header and the first item


def _same(raw: str, want: Any, spec: FieldSpec) -> bool:
    if want is None:
        return False
    try:
        return convert(raw, spec, None) == want
    except (NormalizeError, ValueError, ArithmeticError):
        return raw.strip() == str(want).strip()


def _text_key(items: list[dict[str, Any]], sub: dict[str, FieldSpec]) -> str | None:
    return next((k for k, s in sub.items() if s.type == "string" and isinstance(items[0].get(k), str)), None)


def _columns(doc: Document, items: list[dict[str, Any]], sub: dict[str, FieldSpec]) -> dict[str, list[str]] | None:
    text = doc.text
    key = _text_key(items, sub)
    if key is None:
        return None
    lines = locate.doc_index(doc).lines
    for li, line in enumerate(lines):
        segs = locate.segments(text, line.start, line.end)
        if not any(text[a:b].strip() == items[0][key].strip() for a, b in segs):
            continue
        roles: dict[int, str] = {}
        for k, (a, b) in enumerate(segs):
            for name, spec in sub.items():
                if name not in roles.values() and _same(text[a:b], items[0].get(name), spec):
                    roles[k] = name
                    break
        if len(roles) < 2:
            continue
        for hj in range(li - 1, max(-1, li - 1 - MAX_HEADER_DISTANCE), -1):
            hsegs = locate.segments(text, lines[hj].start, lines[hj].end)
            heads = [text[a:b].strip() for a, b in hsegs]
            if len(heads) == len(segs) and not any(ch.isdigit() for h in heads for ch in h):
                return {name: [heads[k]] for k, name in roles.items()}
    return None


def propose_table(doc: Document, spec: FieldSpec, items: list[dict[str, Any]], rule_id: str) -> FieldRule | None:
    """A table rule that reads exactly `items` (decoded values) from `doc`, or None."""
    sub = spec.items if isinstance(spec.items, dict) else {}
    if not items or not sub:
        return None
    cols = _columns(doc, items, sub)
    if not cols:
        return None
    rule = FieldRule(id=rule_id, table=TableFinder(columns=cols))
    got = run_rule(rule, spec, doc)
    if got is None:
        return None
    key = _text_key(items, sub)
    wanted = [{k: v for k, v in it.items() if v is not None} for it in items]
    found = [{k: v for k, v in it.items() if v is not None} for it in got.value]
    extra = [it for it in found if it not in wanted]
    if extra and key is not None:
        skip = sorted({str(it.get(key) or "").strip() for it in extra if it.get(key)})
        if skip and not any(s.lower() in str(w.get(key, "")).lower() for s in skip for w in wanted):
            rule = FieldRule(id=rule_id, table=TableFinder(columns=cols, skip=skip))
            got = run_rule(rule, spec, doc)
            found = [{k: v for k, v in it.items() if v is not None} for it in (got.value if got else [])]
    return rule if found == wanted else None


__all__ = ["propose_table"]
