"""Label matching: every occurrence of a field's aliases in the text, tolerant of case,
spacing and punctuation; the longest of overlapping matches wins. `Hit` is what every finder returns.
"""

from __future__ import annotations
import re
from functools import lru_cache
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal
from pipelines.model.document import Document
from pipelines.model.layout import doc_index, lowered


@dataclass(slots=True)
class Hit:
    start: int
    end: int
    text: str  # doc.text[start:end] == text
    page: int | None
    label: str | None = None  # the label that anchored it
    how: str = ""  # "right", "below", "kv", "table", "regex", "header", "row"
    score: float = 1.0  # how strongly the layout supports this hit (0..1)


@dataclass(slots=True)
class LabelMatch:
    """One occurrence of a label in the text."""

    start: int
    end: int
    label: str  # the label as given by the caller
    page: int | None
    specificity: float  # 0..1: longer, multi-word labels are more specific


Direction = Literal["right", "below", "any"]


_TOKEN = re.compile(r"\w+|[#°º№]", re.UNICODE)


# Between the words of a label: spaces and light punctuation, never a line break or a tab.
# A rate may sit between them: "TOTAL INCL. 6% GST", "Total incl. 19 % VAT".
_BETWEEN = r"(?: ?[.\-_/()'’,]{0,2} ?(?:\d{1,2}(?:[.,]\d{1,2})? ?% ?)?)"  # not across a tab: a tab ends a table cell


# After a label: optional ":", "#", "=", "." leaders, "-" (only if followed by a space: keep
# the sign of "-12.00") and spaces, but not across a column gap.
# one separator per repetition (the group repeats): "[:#=.)]+" inside it made a failing match on a
# run of dots exponential
AFTER = re.compile(r"(?:[ \u00a0]{0,2}(?:[:#=.：)]|[-–—](?=\s))[ \u00a0]{0,2})*[ \u00a0]?")


GAP = re.compile(r"\t|[ \u00a0]{3,}")


GAP2 = re.compile(r"\t|[ \u00a0]{2,}")  # plain-text tables: two spaces already part columns


_SPACE_RUN = re.compile(r"[ \u00a0\t]+")


# An inline label ending a value: "Guest Name: Ann Lee Date: 02/03/2024" -> "Ann Lee".
INLINE_LABEL = re.compile(r"(?<=\s)[^\W\d_][\w.'’/-]*(?:[ ][\w.'’/-]+){0,3}[ ]?:(?=\s|$)")


# A label written longer than the alias: up to three more words, then a colon.
LABEL_TAIL = re.compile(r"(?:[^\W\d_][\w.'’()/-]*[ ]?){1,3}:[ ]*")


TRAIL = re.compile(r"[\s,;:|(\[{]+$")


LEAD = re.compile(r"^[\s,;:|)\]}]+")


_PATTERN_CACHE: dict[str, re.Pattern[str] | None] = {}


@lru_cache(maxsize=65536)
def fold_label(text: str) -> str:
    """Canonical form of a label for comparison: lower case, no accents, words joined by spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_TOKEN.findall(plain))


def label_pattern(label: str) -> re.Pattern[str] | None:
    """The compiled regex for one label (None for a label without any word)."""
    if label in _PATTERN_CACHE:
        return _PATTERN_CACHE[label]
    tokens = _TOKEN.findall(label)
    if not tokens:
        _PATTERN_CACHE[label] = None
        return None
    parts: list[str] = []
    for i, tok in enumerate(tokens):
        if tok[0].isalnum() or tok[0] == "_":
            esc = re.escape(tok)
            if i == 0 and len(tok) >= 5 and tok[0].isalpha():
                # PDF text layers sometimes split an initial capital from its word
                # ("F actuurnummer"): tolerate one space after the first letter.
                esc = re.escape(tok[0]) + "(?: )?" + re.escape(tok[1:])
            parts.append(esc)
        else:
            parts.append("[#°º№o]" if tok in "°º" else re.escape(tok))
    body = _BETWEEN.join(parts)
    head = r"(?<!\w)" if tokens[0][0].isalnum() else ""
    tail = r"(?!\w)" if tokens[-1][0].isalnum() else ""
    pat = re.compile(head + body + tail, re.IGNORECASE)
    _PATTERN_CACHE[label] = pat
    return pat


def specificity(label: str) -> float:
    """0.55 for a short one-word label ("Date", "VAT") up to 1.0 for long multi-word ones."""
    tokens = [t for t in _TOKEN.findall(label) if t[0].isalnum()]
    n_chars = sum(len(t) for t in tokens)
    score = 0.55 + 0.15 * min(len(tokens) - 1, 2) + 0.15 * min(max(n_chars - 4, 0), 10) / 10
    return round(min(score, 1.0), 3)


@lru_cache(maxsize=8192)
def _prepared(label: str) -> tuple[re.Pattern[str], tuple[str, ...], float, int] | None:
    """A label's pattern, the lower-case words the text must contain for it to match, its
    specificity, and how far before its first word's probe a match can start (-1: a match does
    not start with a probe word, see `_starts`)."""
    pat = label_pattern(label)
    if pat is None:
        return None
    probes = []
    tokens = _TOKEN.findall(label)
    for i, tok in enumerate(tokens):
        if tok[0].isalnum():
            low = tok.lower()
            # see label_pattern: "F actuur" (a first word opening with a digit is never split)
            probes.append(low[1:] if i == 0 and len(low) >= 5 and tok[0].isalpha() else low)
    if not tokens[0][0].isalnum() or not probes or len(tokens[0].lower()) != len(tokens[0]):
        lead = -1
    else:
        lead = 2 if len(tokens[0]) >= 5 and tokens[0][0].isalpha() else 0
    return pat, tuple(p for p in probes if p), specificity(label), lead


@dataclass(frozen=True, slots=True)
class _LabelSet:
    items: tuple[tuple[str, re.Pattern[str], tuple[str, ...], float, int], ...]  # label, pattern, probes, specificity, lead
    words: frozenset[str]  # every probe of every label


@lru_cache(maxsize=256)
def _prepared_set(labels: tuple[str, ...]) -> _LabelSet:
    items = []
    for label in dict.fromkeys(labels):
        prepared = _prepared(label)
        if prepared is not None:
            pat, probes, spec, lead = prepared
            items.append((label, pat, probes, spec, lead))
    return _LabelSet(tuple(items), frozenset(w for it in items for w in it[2]))


def _where(word: str, lower: str) -> list[int]:
    """Every position of `word` in the lower-cased text."""
    out, i = [], lower.find(word)
    while i >= 0:
        out.append(i)
        i = lower.find(word, i + 1)
    return out


def _starts(pat: re.Pattern[str], text: str, at: list[int], lead: int) -> Iterator[re.Match[str]]:
    """What `pat.finditer(text)` finds, tried only where a match can start: at the label's first
    word (`at`), or up to `lead` characters before it ("F actuurnummer"). Non-overlapping, left
    to right, as finditer."""
    end = 0
    for s in sorted({a - k for a in at for k in range(lead + 1) if a - k >= 0}) if lead else at:
        if s < end:
            continue
        m = pat.match(text, s)
        if m is not None and m.end() > m.start():
            yield m
            end = m.end()


def match_labels(doc: Document, labels: Iterable[str], *, suppress: bool = True) -> list[LabelMatch]:
    """Every occurrence of the labels; with `suppress`, matches inside longer ones are dropped.

    Matches with exactly the same span (two labels that read the same) are all kept.
    """
    idx = doc_index(doc)
    text = doc.text
    lower = lowered(doc)
    found: list[LabelMatch] = []
    seen: set[tuple[int, int, str]] = set()
    # Cheap test before the regex scans (large documents, many aliases): each word the labels
    # need is looked up in the text once, and a label is scanned for only if all of its are there.
    wanted = labels if isinstance(labels, tuple) else tuple(labels)
    label_set = _prepared_set(wanted)
    present = {w for w in label_set.words if w in lower}
    # One regex scan of the whole text per label cost most of the extraction: a match starts at
    # its first word, so it is tried only there (the text's lower case must keep its length).
    anchored = len(lower) == len(text)
    positions: dict[str, list[int]] = {}
    for label, pat, probes, spec, lead in label_set.items:
        if not present.issuperset(probes):
            continue
        if anchored and lead >= 0:
            first = probes[0]
            if first not in positions:
                positions[first] = _where(first, lower)
            hits: Iterable[re.Match[str]] = _starts(pat, text, positions[first], lead)
        else:
            hits = pat.finditer(text)
        for m in hits:
            key = (m.start(), m.end(), label)
            if key in seen:
                continue
            seen.add(key)
            found.append(LabelMatch(m.start(), m.end(), label, idx.page_at(m.start()), spec))
    return suppress_contained(found) if suppress else sorted(found, key=lambda m: (m.start, -m.end))


def suppress_contained(matches: Sequence[LabelMatch]) -> list[LabelMatch]:
    """Drop matches strictly inside a longer match ("Date" in "Invoice Date", "Total" in "Total Due")."""
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    kept: list[LabelMatch] = []
    best_end, best_start = -1, -1
    for m in ordered:
        if best_end > m.end or (best_end == m.end and best_start < m.start):
            continue  # contained in an earlier, longer match
        kept.append(m)
        if m.end > best_end:
            best_end, best_start = m.end, m.start
    return kept
