"""The label finders' API: values next to many label matches at once, a field's aliases, or a regex.
"""

from __future__ import annotations
import re
from collections.abc import Iterable, Sequence
from pipelines.model.document import Document
from pipelines.map.extract.cells import cell_hits
from pipelines.model.layout import doc_index
from pipelines.map.extract.labels import Direction, Hit, LabelMatch, match_labels
from pipelines.map.extract.pairing import PairCtx, dedupe, stops_by_line, value_below, value_kv, value_right


def values_for_matches(doc: Document, matches: Sequence[LabelMatch], direction: Direction = "any",
                       *, stops: Sequence[LabelMatch] = (),
                       qualified_by: Sequence[LabelMatch] | None = None) -> list[tuple[LabelMatch, Hit]]:
    """The value hits of given label matches (the generic extractor's entry point).

    `stops` are label matches (of any field) that end a value running into them. A match
    directly followed by one of `qualified_by` (default: matches + stops) is the first word of
    a compound label ("Customer" in "Customer Account") and yields nothing. Hit scores are
    layout scores times the label's specificity; they are not deduplicated.
    """
    idx = doc_index(doc)
    ctx = PairCtx(doc, idx, stops_by_line(doc, list(matches) + list(stops)))
    qual = ctx.stops_by_line if qualified_by is None else stops_by_line(doc, qualified_by)
    out: list[tuple[LabelMatch, Hit]] = []
    text = doc.text
    for m in matches:
        line = idx.line_at(m.start)
        if line is None:
            continue
        if _modifies_next_label(doc.text, qual.get(line.index, ()), m):
            continue
        found: list[Hit] = []
        kv = value_kv(ctx, m, line)
        if kv is not None and direction in ("right", "any"):
            found.append(kv)
        else:
            if line.in_table:
                found.extend(cell_hits(ctx, m, direction))
            if direction in ("right", "any"):
                found.extend(value_right(ctx, m, line))
            if direction in ("below", "any"):
                below = value_below(ctx, m, line)
                if below is not None:
                    if direction == "any" and any(h.how == "right" and h.score >= 0.85 for h in found):
                        below.score *= 0.6
                    found.append(below)
        for h in found:
            h.score = round(h.score * (0.75 + 0.25 * m.specificity), 4)
            out.append((m, h))
    return out


def _modifies_next_label(text: str, on_line: Iterable[LabelMatch], m: LabelMatch) -> bool:
    """"Customer Account", "Client account": a label directly followed by another label (only
    spaces between, no colon) qualifies it; the value belongs to the compound, not to this one."""
    for st in on_line:
        if st.start > m.start and st.start >= m.end:
            between = text[m.end:st.start]
            return st.start - m.end <= 2 and between.strip(" ") == "" and st.start > m.end
    return False


def find_after_label(doc: Document, labels: Sequence[str], direction: Direction = "any",
                     *, stop_labels: Sequence[str] = ()) -> list[Hit]:
    """Values anchored by any of the labels, best first.

    Where labels overlap, only the longest match counts. `stop_labels` are other labels that
    end a value running into them (the generic extractor passes every schema alias).
    """
    matches = match_labels(doc, list(labels) + [s for s in stop_labels if s not in labels])
    own = set(labels)
    mine = [m for m in matches if m.label in own]
    return dedupe([h for _, h in values_for_matches(doc, mine, direction, stops=matches)])


def find_regex(doc: Document, pattern: str | re.Pattern[str]) -> list[Hit]:
    """Matches in the text: named group "value", else group 1, else the whole match."""
    pat = re.compile(pattern) if isinstance(pattern, str) else pattern
    idx = doc_index(doc)
    hits: list[Hit] = []
    for m in pat.finditer(doc.text):
        if "value" in pat.groupindex:
            grp: int | str = "value"
        elif pat.groups >= 1:
            grp = 1
        else:
            grp = 0
        a, b = m.span(grp)
        if a < 0 or b <= a:
            continue
        hits.append(Hit(a, b, doc.text[a:b], idx.page_at(a), None, "regex", 1.0))
    return hits
