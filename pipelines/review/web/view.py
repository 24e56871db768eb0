"""What the item page shows, computed server-side: the document text cut into segments that
carry their character offsets (so a browser selection maps back to a span of `doc.text`),
evidence highlights, page-image overlays, and the fields table rows.

Offsets are Python code points; the browser counts UTF-16 units, so review.js converts.
Carriage returns are never put into the page (the HTML parser would drop them and shift
every offset after them); each segment carries its own start, so skipping them is exact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pipelines.model.document import Document

_CR = re.compile("\r")
MAX_RENDER_CHARS = 1_000_000  # a reviewer never reads more; the rest is summarised


@dataclass
class Segment:
    start: int
    end: int
    text: str
    fields: tuple[str, ...] = ()


@dataclass
class Block:
    kind: str  # element kind, or "gap" for text between elements
    start: int
    end: int
    page: int | None
    segments: list[Segment] = field(default_factory=list)
    blank: bool = False  # whitespace-only gap: kept for offsets, not shown as a line


@dataclass
class FieldRow:
    name: str
    index: int  # 1-based, the number key that selects it
    type: str
    required: bool
    present: bool
    value: Any
    display: str
    method: str | None
    rule_id: str | None
    confidence: float | None
    evidence: dict | None
    reasons: list[dict]
    correctable: bool


def evidence_spans(proposed: dict, text_len: int) -> dict[str, tuple[int, int]]:
    out = {}
    for name, fv in (proposed.get("fields") or {}).items():
        ev = (fv or {}).get("evidence") if isinstance(fv, dict) else None
        if not ev:
            continue
        if ev.get("document_id"):
            continue  # read from another document (a hybrid PDF's XML): its offsets are not this text's
        s, e = ev.get("start"), ev.get("end")
        if isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= text_len:
            out[name] = (s, e)
    return out


def blocks(doc: Document, spans: dict[str, tuple[int, int]], limit: int = MAX_RENDER_CHARS) -> tuple[list[Block], bool]:
    """The document as blocks of segments covering `doc.text[:limit]` exactly once."""
    text = doc.text
    stop = min(len(text), limit)
    cuts = {0, stop}
    for s, e in spans.values():
        cuts.update(p for p in (s, e) if p < stop)
    out: list[Block] = []
    pos = 0

    def emit(kind: str, start: int, end: int, page: int | None) -> None:
        b = Block(kind, start, end, page, _segments(text, start, end, cuts, spans))
        b.blank = kind == "gap" and not text[start:end].strip()
        out.append(b)

    for el in sorted(doc.elements, key=lambda e: (e.start, e.end)):
        s, e = max(el.start, pos), min(el.end, stop)
        if e <= s:
            continue
        if s > pos:
            emit("gap", pos, s, None)
        emit(str(el.kind), s, e, el.page)
        pos = e
    if pos < stop:
        emit("gap", pos, stop, None)
    return out, stop < len(text)


def _segments(text: str, start: int, end: int, cuts: set[int], spans: dict[str, tuple[int, int]]) -> list[Segment]:
    crs = [m.start() for m in _CR.finditer(text, start, end)]
    points = sorted({start, end} | {c for c in cuts if start < c < end} | set(crs) | {i + 1 for i in crs})
    segs = []
    for a, b in zip(points, points[1:]):
        if b <= a or text[a:b] == "\r":
            continue
        fields = tuple(sorted(n for n, (s, e) in spans.items() if s <= a and b <= e))
        segs.append(Segment(a, b, text[a:b], fields))
    return segs


def page_overlays(doc: Document, spans: dict[str, tuple[int, int]]) -> dict[int, list[dict]]:
    """Per page: boxes (fractions of the page size) around the words of each field's evidence."""
    sizes = {p.number: (p.width, p.height) for p in doc.pages if p.width and p.height}
    out: dict[int, list[dict]] = {}
    if not spans or not sizes:
        return out
    for el in doc.elements:
        if el.page not in sizes or not el.words:
            continue
        w, h = sizes[el.page]
        for name, (s, e) in spans.items():
            if el.end <= s or el.start >= e:
                continue
            for word in el.words:
                if word.end > s and word.start < e and word.bbox:
                    b = word.bbox
                    out.setdefault(el.page, []).append({
                        "field": name, "x": round(b.x0 / w, 4), "y": round(b.y0 / h, 4),
                        "w": round((b.x1 - b.x0) / w, 4), "h": round((b.y1 - b.y0) / h, 4)})
    return out


def display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_rows(schema: Any | None, proposed: dict, reasons: list[dict], text: str | None = None) -> list[FieldRow]:
    """Every schema field (a missing required field is often why the item is here), then any
    proposed field the schema no longer has. Required as the record's variant requires it (a
    receipt needs no number), decided as validation does: on the document's text when given."""
    fields = proposed.get("fields") or {}
    names = list(schema.fields) if schema is not None else []
    required: set[str] = set()
    if schema is not None:
        values = {n: fv.get("value") for n, fv in fields.items() if isinstance(fv, dict)}
        required = set(schema.required_fields(schema.variant_of(values, text)))
    names += [n for n in fields if n not in names]
    rows = []
    for i, name in enumerate(names, 1):
        fv = fields.get(name) if isinstance(fields.get(name), dict) else None
        spec = schema.fields.get(name) if schema is not None else None
        ftype = spec.type if spec is not None else "?"
        value = fv.get("value") if fv else None
        rows.append(FieldRow(
            name=name, index=i, type=str(ftype), required=name in required, present=fv is not None,
            value=value, display=display_value(value), method=fv.get("method") if fv else None,
            rule_id=fv.get("rule_id") if fv else None, confidence=fv.get("confidence") if fv else None,
            evidence=fv.get("evidence") if fv else None,
            reasons=[r for r in reasons if r.get("field") == name],
            correctable=spec is not None))
    return rows
