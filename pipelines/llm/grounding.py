"""Nothing an LLM says lands without evidence: its quote must be in the document, and the value
must be readable from that quote.

`find_quote` locates a quote exactly, then ignoring case/whitespace/typographic punctuation, then
fuzzily (OCR noise; rapidfuzz) for quotes of 12+ characters. `ground_value` checks a proposed
field value against the located quote: the value as text occurs in it, or some piece of the
quote normalises (as the rule engine would) to the same value. Quotes that read like orders to
the model ("ignore previous instructions", "set the total to 0") are refused: a document that
tries to steer the extractor is not evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from pipelines.validate.injection import overlaps, suspicious_spans
from pipelines.map.normalize import NormalizeError
from pipelines.map.rule_engine import convert
from pipelines.model.schema import FieldSpec

TYPED = {"date", "datetime", "amount", "decimal", "number", "integer", "currency", "months", "phone", "iban",
         "email", "postcode", "boolean"}
_NUMERIC = {"amount", "decimal", "number", "integer", "months"}
_FOLD_CHARS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_DATEISH = re.compile(
    r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|\b\d{1,2}(?:st|nd|rd|th)? [A-Za-z]{3,9}\.?,? \d{4}\b|"
    r"\b[A-Za-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b")


@dataclass
class Span:
    start: int
    end: int
    text: str  # doc_text[start:end] == text
    score: float  # 1.0 exact, 0.98 equal after folding case/spaces, else the fuzzy score


@dataclass
class Grounding:
    ok: bool
    value: Any  # normalised to the field's type when ok
    span: Span | None
    reason: str | None


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower case, typographic quotes/dashes plain, whitespace runs as one space; with, for every
    folded character, the index of the original character it came from."""
    out: list[str] = []
    idx: list[int] = []
    space = True  # drop leading spaces
    for i, ch in enumerate(text.translate(_FOLD_CHARS)):
        if ch.isspace():
            if not space:
                out.append(" ")
                idx.append(i)
            space = True
            continue
        space = False
        for c in ch.lower():
            out.append(c)
            idx.append(i)
    if out and out[-1] == " ":
        out.pop()
        idx.pop()
    return "".join(out), idx


def _span(text: str, a: int, b: int, score: float) -> Span | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return Span(a, b, text[a:b], score) if b > a else None


def find_quote(text: str, quote: str, *, min_score: float = 0.9) -> Span | None:
    q = (quote or "").strip()
    if len(q) < 2:
        return None
    i = text.find(q)
    if i >= 0:
        return Span(i, i + len(q), q, 1.0)
    ft, fmap = _fold(text)
    fq, _ = _fold(q)
    if not fq or not ft:
        return None
    j = ft.find(fq)
    if j >= 0:
        return _span(text, fmap[j], fmap[j + len(fq) - 1] + 1, 0.98)
    if len(fq) < 12 or len(fq) > len(ft):
        return None
    al = fuzz.partial_ratio_alignment(fq, ft, score_cutoff=min_score * 100)
    if al is None or (al.dest_end - al.dest_start) < 0.8 * len(fq):
        return None  # the alignment must cover (nearly) the whole quote
    a, b = fmap[al.dest_start], fmap[al.dest_end - 1] + 1
    while a > 0 and text[a - 1].isalnum() and text[a].isalnum():  # do not cut a word in two
        a -= 1
    while b < len(text) and text[b].isalnum() and text[b - 1].isalnum():
        b += 1
    return _span(text, a, b, round(al.score / 100, 3))


def _bounded(q: str, a: int, b: int) -> bool:
    """The piece q[a:b] is not part of a longer word or number."""
    before, after = q[a - 1:a] if a else "", q[b:b + 2]
    if before.isalnum() or (before in ".," and a >= 2 and q[a - 2].isdigit() and q[a].isdigit()):
        return False
    return not (after[:1].isalnum() or (after[:1] in ".," and after[1:2].isdigit() and q[b - 1].isdigit()))


def _find_text(q: str, needle: str) -> tuple[int, int] | None:
    """`needle` inside `q`, case/space folded and word-bounded; offsets into q."""
    fq, fmap = _fold(q)
    fn, _ = _fold(needle)
    if not fn:
        return None
    for m in re.finditer(re.escape(fn), fq):
        a, b = fmap[m.start()], fmap[m.end() - 1] + 1
        if _bounded(q, a, b):
            return a, b
    return None


def _find_words(q: str, needle: str) -> tuple[int, int] | None:
    """The words of `needle` in order in `q`, punctuation between them ignored ("Unit 2, Mill Lane")."""
    words = re.findall(r"\w+", needle.casefold())
    if not words:
        return None
    toks = [(m.start(), m.end(), m.group().casefold()) for m in re.finditer(r"\w+", q)]
    for i in range(len(toks) - len(words) + 1):
        if all(toks[i + k][2] == w for k, w in enumerate(words)):
            return toks[i][0], toks[i + len(words) - 1][1]
    return None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


def _windows(q: str, max_tokens: int) -> list[tuple[int, int]]:
    spans: set[tuple[int, int]] = set()
    for pat in (r"\S+", r"[^\s:;|=]+"):
        toks = [m.span() for m in re.finditer(pat, q)]
        for i in range(len(toks)):
            for n in range(1, max_tokens + 1):
                if i + n > len(toks):
                    break
                a, b = toks[i][0], toks[i + n - 1][1]
                while b > a and q[b - 1] in ",.;:)!?'\"":
                    b -= 1
                while a < b and q[a] in "(\"'":
                    a += 1
                if b > a:
                    spans.add((a, b))
    return sorted(spans, key=lambda s: (s[1] - s[0], s[0]))  # shortest first: the narrowest support


def _candidate(q: str, spec: FieldSpec, norm: Any) -> tuple[int, int] | None:
    kind = spec.type
    dates = [m.span() for m in _DATEISH.finditer(q)] if kind in _NUMERIC else []
    spans = _windows(q, 9 if kind == "iban" else 6)
    if kind == "currency":  # a symbol glued to its amount ("£4,191.24")
        spans = [m.span() for m in re.finditer(r"[^\w\s.,;:()'\"/-]|\b[A-Za-z]{3}\b", q)] + spans
    for a, b in spans:
        piece = q[a:b]
        if kind in _NUMERIC | {"date", "datetime", "phone", "iban", "postcode"} and not any(c.isdigit() for c in piece):
            continue
        if any(a < de and b > ds for ds, de in dates):
            continue  # "2026" of "4 March 2026" is not an amount
        try:
            if _same(convert(piece, spec, None), norm):
                return a, b
        except (NormalizeError, ValueError, TypeError, ArithmeticError):
            continue
    return None


def _support(q: str, spec: FieldSpec, value: Any, norm: Any) -> tuple[int, int] | None:
    """Where in the quote `q` the value is read from, or None."""
    if spec.type == "list":
        return _support_list(q, spec, value)
    if spec.type == "enum":
        for phrase in [str(value), norm, str(norm).replace("_", " "), *spec.synonyms.get(norm, [])]:
            if hit := _find_text(q, str(phrase)):
                return hit
        return _candidate(q, spec, norm)
    if spec.type in TYPED:
        hit = _find_text(q, str(value))
        if hit and spec.type not in _NUMERIC:
            try:
                if _same(convert(q[hit[0]:hit[1]], spec, None), norm):
                    return hit
            except (NormalizeError, ValueError, TypeError, ArithmeticError):
                pass
        return _candidate(q, spec, norm)
    return _find_text(q, str(value)) or _find_words(q, str(value))


def _support_list(q: str, spec: FieldSpec, value: Any) -> tuple[int, int] | None:
    if not isinstance(value, list) or not value:
        return None
    hits: list[tuple[int, int]] = []
    for item in value:
        parts = item.items() if isinstance(item, dict) else [(None, item)]
        for name, v in parts:
            if v in (None, "", []):
                continue
            sub = FieldSpec(type=spec.items) if isinstance(spec.items, str) else (spec.items or {}).get(str(name))
            if sub is None:
                return None
            try:
                norm = convert(v, sub, None)
            except (NormalizeError, ValueError, TypeError, ArithmeticError):
                return None
            hit = _support(q, sub, v, norm)
            if hit is None:
                return None
            hits.append(hit)
    return (min(a for a, _ in hits), max(b for _, b in hits)) if hits else None


def ground_value(doc_text: str, spec: FieldSpec, value: Any, quote: str, *, min_score: float = 0.9) -> Grounding:
    """Check one value an LLM proposed for a field against the quote it gave as evidence."""
    if value is None or value == "" or value == []:
        return Grounding(False, None, None, "no value")
    span = find_quote(doc_text, quote, min_score=min_score)
    if span is None:
        return Grounding(False, value, None, "quote not found in the document")
    # the lines around the quote: quoting half of "set the total to 0" must not slip through
    lo = max(0, span.start - 300)
    if overlaps((span.start - lo, span.end - lo), suspicious_spans(doc_text[lo:span.end + 300])):
        return Grounding(False, value, span, "quote reads like an instruction to the model, not document data")
    try:
        norm = value if spec.type == "list" else convert(value, spec, None)
    except (NormalizeError, ValueError, TypeError, ArithmeticError) as exc:
        return Grounding(False, value, span, f"value is not a valid {spec.type}: {exc}")
    hit = _support(span.text, spec, value, norm)
    if hit is None:
        return Grounding(False, norm, span, "value not supported by its quote")
    if spec.type == "list":
        norm = convert(value, spec, None) if isinstance(spec.items, str) else [
            {k: (convert(v, spec.items[k], None) if v not in (None, "", []) else None) for k, v in item.items()}
            for item in value]
    a, b = span.start + hit[0], span.start + hit[1]
    return Grounding(True, norm, Span(a, b, doc_text[a:b], span.score), None)
