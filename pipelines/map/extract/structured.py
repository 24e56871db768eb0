"""Enum fields (synonyms counted in the text, or the default) and list fields (table rows).
"""

from __future__ import annotations
import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any
from pipelines.model.document import Kind
from pipelines.model.records import Evidence, FieldValue
from pipelines.map.normalize import NormalizeError
from pipelines.model.schema import FieldSpec
from pipelines.map.extract.context import Ctx, amount_tokens, fold_text, norm_value
from pipelines.map.extract.labels import Hit, LabelMatch, label_pattern, match_labels
from pipelines.map.extract.tables import find_table_rows
from pipelines.map.extract.vocab import MEDIUM_WORDS


def enum_field(ctx: Ctx, name: str, spec: FieldSpec) -> FieldValue | None:
    medium = MEDIUM_WORDS.get(ctx.doc.media_type, ())
    if not spec.synonyms and medium:
        for v in spec.values:
            if fold_text(v) in medium:
                ev_el = next((e for e in ctx.doc.elements if e.kind is Kind.EMAIL_HEADER), None)
                ev = Evidence(ctx.doc.id, ev_el.start, ev_el.end, ev_el.text, ev_el.page) if ev_el else None
                return FieldValue(v, "generic", 0.85, None, ev, ev_el.text if ev_el else None)
    phrases: list[tuple[str, str]] = []
    for v in spec.values:
        # a value's own name counts only where synonyms are not given at all: "high" in
        # "14 High Street" says nothing about priority, the listed synonyms do
        if not spec.synonyms:
            phrases.append((v.replace("_", " "), v))
        for syn in spec.synonyms.get(v, []):
            phrases.append((syn, v))
    label_to_values: dict[str, list[str]] = defaultdict(list)
    for p, v in phrases:
        label_to_values[p].append(v)
    matches = match_labels(ctx.doc, list(label_to_values))
    scores: Counter[str] = Counter()
    first: dict[str, LabelMatch] = {}
    for m in matches:
        el = ctx.idx.element_at(m.start)
        if el is not None and el.kind is Kind.EMAIL_HEADER:
            w = 2.0 if str(el.attrs.get("name", "")).lower() == "subject" else 0.0
        elif el is not None and el.attrs.get("quoted"):
            w = 0.3
        elif el is not None and el.attrs.get("signature"):
            w = 0.2
        else:
            w = 1.0
        if w == 0:
            continue
        for v in label_to_values[m.label]:
            scores[v] += w
            first.setdefault(v, m)
    if scores:
        ranked = scores.most_common()
        best_v, best = ranked[0]
        # ties: the value listed first in the schema (ordered by severity or preference)
        tied = [v for v, s in ranked if s == best]
        if len(tied) > 1:
            best_v = min(tied, key=spec.values.index)
        runner = max((s for v, s in ranked if v != best_v), default=0.0)
        conf = min(0.95, 0.55 + 0.15 * best) * (1 - 0.4 * runner / best)
        m = first[best_v]
        return FieldValue(best_v, "generic", round(max(conf, 0.3), 3), None,
                          Evidence(ctx.doc.id, m.start, m.end, ctx.doc.text[m.start:m.end], m.page), ctx.doc.text[m.start:m.end])
    if spec.default is not None:
        return FieldValue(spec.default, "default", 0.5, None, None, None)
    return None


@lru_cache(maxsize=64)
def _summary_pattern(labels: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern that matches where any of the labels' patterns matches (a totals row)."""
    pats = [p for p in (label_pattern(lbl) for lbl in labels) if p is not None]
    return re.compile("|".join(f"(?:{p.pattern})" for p in pats), re.IGNORECASE) if pats else None


def list_field(ctx: Ctx, name: str, spec: FieldSpec) -> FieldValue | None:
    assert isinstance(spec.items, dict)
    sub = spec.items
    columns = {k: s.aliases or [k.replace("_", " ")] for k, s in sub.items()}
    tables = find_table_rows(ctx.doc, columns, min_columns=2)
    if not tables:
        return None
    summary_labels = []
    for fname, fspec in ctx.schema.fields.items():
        if fspec.type in ("amount", "decimal"):
            summary_labels.extend(fspec.aliases)
    summary_labels.extend(["Total", "Subtotal", "Sub Total", "Grand Total"])
    summary = _summary_pattern(tuple(dict.fromkeys(summary_labels)))
    text_cols = [k for k, s in sub.items() if s.type in ("string", "text")]
    num_cols = [k for k, s in sub.items() if s.type in ("amount", "decimal", "integer")]
    items: list[dict[str, Any]] = []
    spans: list[Hit] = []
    n_cols_seen = 0
    for rows in tables:
        cols_here = {k for r in rows for k in r}
        if not (set(text_cols) & cols_here) or not (set(num_cols) & cols_here):
            continue
        n_cols_seen = max(n_cols_seen, len(cols_here))
        for row in rows:
            item: dict[str, Any] = {}
            desc = next((row[k].text for k in text_cols if k in row), "")
            if summary is not None and summary.match(desc.strip()):
                continue  # a totals row
            for k, hit in row.items():
                sspec = sub[k]
                try:
                    if sspec.type in ("amount", "decimal", "integer"):
                        toks = amount_tokens(hit.text, 0)
                        if len(toks) != 1:
                            continue
                        item[k] = norm_value(ctx, sspec, toks[0][2])
                    else:
                        item[k] = norm_value(ctx, sspec, hit.text)
                except NormalizeError:
                    continue
            has_text = any(isinstance(item.get(k), str) and item.get(k) for k in text_cols)
            has_num = any(k in item for k in num_cols)
            if has_text and has_num:
                items.append(item)
                spans.extend(row.values())
    if not items:
        return None
    start = min(h.start for h in spans)
    end = max(h.end for h in spans)
    conf = min(0.9, 0.6 + 0.07 * n_cols_seen)
    return FieldValue(items, "generic", round(conf, 3), None,
                      Evidence(ctx.doc.id, start, end, ctx.doc.text[start:end], spans[0].page), None)
