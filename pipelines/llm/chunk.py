"""Only the relevant parts of a long document go to the LLM.

The document is cut into blocks of consecutive elements (about 400-800 characters; a table stays
whole when it fits the budget). Each block is scored for the requested fields: their labels and
aliases (matched as the rule engine matches labels), words of their descriptions, enum values and
synonyms, and text shaped like the field's type (dates, amounts, IBANs, e-mail addresses ...).
The first block (title, letterhead) is always sent; then each field's best block; then the rest
by score while the budget lasts. Blocks go out in document order joined by "\\n…\\n".
Deterministic: the same document, fields and budget give the same passages.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.model.document import Document, Kind
from pipelines.map.extract import locate
from pipelines.model.schema import FieldSpec, Schema

SEP = "\n…\n"
TARGET, HARD = 600, 800  # block size: close a block past TARGET, never grow one past HARD
_SHAPES = {
    "date": r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\b",
    "amount": r"[£$€¥]\s?\d|\b(?:GBP|EUR|USD|CHF)\s?\d|\d[\d,.' ]*[.,]\d{2}\b|\b\d{1,3}(?:,\d{3})+\b",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}",
    "email": r"[\w.+-]+@[\w-]+\.[\w.-]+",
    "phone": r"(?:\+\d{1,3}|\b0)\d{2,4}[ \d]{6,10}\d",
    "postcode": r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b",
    "currency": r"[£$€¥]|\b(?:GBP|EUR|USD|CHF|JPY)\b",
    "months": r"\b\d+\s*(?:months?|years?)\b",
}
_SHAPES.update({"decimal": _SHAPES["amount"], "number": _SHAPES["amount"], "datetime": _SHAPES["date"]})
_LABEL_END = re.compile(r"[ \t]*[:#]|\t|   ")
_STOP = set("""the this that with from which what when where will into their there about have been were your
than then them they each also only such other must used uses using before after field value values text""".split())


@dataclass
class Passages:
    text: str
    spans: list[tuple[int, int]]  # in doc.text, in document order; text == SEP.join(doc.text[s:e] ...)
    full_chars: int
    sent_chars: int


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a long element at line breaks (or spaces) into pieces of at most HARD characters."""
    out: list[tuple[int, int]] = []
    while end - start > HARD:
        cut = text.rfind("\n", start + TARGET // 2, start + HARD)
        if cut < 0:
            cut = text.rfind(" ", start + TARGET // 2, start + HARD)
        cut = cut + 1 if cut >= 0 else start + HARD
        out.append((start, cut))
        start = cut
    if end > start:
        out.append((start, end))
    return out


def _blocks(doc: Document, max_chars: int) -> list[tuple[int, int]]:
    text = doc.text
    els = sorted((e for e in doc.elements if e.end > e.start and e.text.strip()), key=lambda e: (e.start, -e.end))
    if not els:
        return _split(text, 0, len(text))
    blocks: list[tuple[int, int]] = []
    cur: list[int] | None = None
    for el in els:
        if cur is not None and el.end <= cur[1]:
            continue  # nested in the current block
        size = el.end - el.start
        whole_table = el.kind is Kind.TABLE and size <= max_chars
        heading = el.kind in (Kind.TITLE, Kind.HEADING)
        if cur is not None and (whole_table or size > HARD or cur[1] - cur[0] >= TARGET
                                or el.end - cur[0] > HARD or (heading and cur[1] - cur[0] >= 200)):
            blocks.append((cur[0], cur[1]))
            cur = None
        if whole_table:
            blocks.append((el.start, el.end))
        elif size > HARD:
            blocks.extend(_split(text, el.start, el.end))
        elif cur is None:
            cur = [el.start, el.end]
        else:
            cur[1] = el.end
    if cur is not None:
        blocks.append((cur[0], cur[1]))
    return blocks


def _field_terms(name: str, spec: FieldSpec) -> tuple[list[str], list[str], list[str]]:
    """(labels, description words, enum phrases) of a field; list fields add their sub-fields'."""
    labels = [name.replace("_", " "), *spec.aliases]
    words = [w for w in re.findall(r"[a-z]{4,}", spec.description.lower()) if w not in _STOP]
    phrases = [p for v in spec.values for p in (v.replace("_", " "), *spec.synonyms.get(v, []))]
    if isinstance(spec.items, dict):
        for sub_name, sub in spec.items.items():
            labels += [sub_name.replace("_", " "), *sub.aliases]
    return labels, sorted(set(words)), phrases


def _scores(doc: Document, blocks: list[tuple[int, int]], schema: Schema, fields: list[str]) -> list[dict[str, float]]:
    starts = [s for s, _ in blocks]
    scores: list[dict[str, float]] = [dict.fromkeys(fields, 0.0) for _ in blocks]
    lowered = [doc.text[s:e].lower() for s, e in blocks]

    def block_of(pos: int) -> int:
        i = bisect.bisect_right(starts, pos) - 1
        return i if i >= 0 and pos < blocks[i][1] else -1

    for name in fields:
        spec = schema.fields[name]
        labels, words, phrases = _field_terms(name, spec)
        best: dict[int, float] = {}
        for m in locate.match_labels(doc, labels):
            if (i := block_of(m.start)) >= 0:
                # a label written as one ("Total Due: ", a line or cell starting with it) counts
                # far more than the same word in running text ("... to the customer")
                line_start = not doc.text[doc.text.rfind("\n", 0, m.start) + 1:m.start].strip()
                as_label = line_start or bool(_LABEL_END.match(doc.text, m.end))
                best[i] = max(best.get(i, 0.0), (1.0 + 2.0 * m.specificity) * (1.0 if as_label else 0.4))
        shape_type = spec.items if spec.type == "list" and isinstance(spec.items, str) else spec.type
        shape = re.compile(_SHAPES[shape_type], re.I if shape_type == "date" else 0) if shape_type in _SHAPES else None
        for i, low in enumerate(lowered):
            s = best.get(i, 0.0)
            s += min(1.5, 0.3 * sum(1 for w in words if w in low))
            s += min(2.0, 1.0 * sum(1 for p in phrases if re.search(rf"(?<!\w){re.escape(p.lower())}(?!\w)", low)))
            if shape is not None and shape.search(doc.text[blocks[i][0]:blocks[i][1]]):
                s += 0.5
            if isinstance(spec.items, dict) and "\t" in low:
                s += 0.5  # a table-like block for line items
            scores[i][name] = s
    return scores


def _layout(doc: Document, chosen: Iterable[int], blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of the chosen blocks in order; neighbours separated only by whitespace are merged."""
    spans: list[tuple[int, int]] = []
    for i in sorted(chosen):
        s, e = blocks[i]
        if spans and not doc.text[spans[-1][1]:s].strip():
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def _size(doc: Document, spans: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in spans) + len(SEP) * max(0, len(spans) - 1)


def relevant_text(doc: Document, schema: Schema, fields: Iterable[str], max_chars: int) -> Passages:
    text = doc.text
    full = len(text)
    if full <= max_chars:
        return Passages(text, [(0, full)] if full else [], full, full)
    names = [f for f in dict.fromkeys(fields) if f in schema.fields]
    blocks = _blocks(doc, max_chars)
    scores = _scores(doc, blocks, schema, names)
    chosen: set[int] = set()

    def take(i: int) -> bool:
        if i in chosen or _size(doc, _layout(doc, chosen | {i}, blocks)) > max_chars:
            return False
        chosen.add(i)
        return True

    if not take(0):  # even the header does not fit: send its beginning
        s, e = blocks[0]
        cut = text.rfind("\n", s, s + max_chars)
        e = cut if cut > s else s + max_chars
        return Passages(text[s:e], [(s, e)], full, e - s)
    for name in names:  # each field's best block first, so every field has its evidence
        i = max(range(len(blocks)), key=lambda k: (scores[k][name], -k))
        if scores[i][name] > 0.5:  # more than a bare shape (any date, any number)
            take(i)
    total = [sum(sc.values()) for sc in scores]
    for i in sorted(range(len(blocks)), key=lambda k: (-total[k], k)):
        if total[i] <= 0:
            break
        take(i)
    spans = _layout(doc, chosen, blocks)
    out = SEP.join(text[s:e] for s, e in spans)
    return Passages(out, spans, full, len(out))
