"""Proposing one field's rule from a value a person corrected or confirmed on a document.

The value's span (the selection, or where the typed value is printed) gives the labels next
to it (left on its line, or the column above); rules are tried from the most general (a
label anchor with the value's shape as `pattern`) to the most literal (a regex around the
label, the first line, a constant for the issuer's own name and address), and for dates and
amounts inside a sentence, the words before the value plus its typed shape. The first rule
that reproduces the value on its document wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pipelines.model.document import Document
from pipelines.map.extract import locate
from pipelines.map.normalize import NormalizeError
from pipelines.map.rule_engine import convert, run_rule
from pipelines.map.rules import Example, FieldRule
from pipelines.model.schema import FieldSpec
from pipelines.parse.dispatch import parse_bytes
from pipelines.review.evidence import find_value
from pipelines.review.shapes import affix_transforms, typed_shape

CONSTANT_FIELDS = {"issuer_name", "issuer_address"}  # one value per issuer: the selector pins the issuer
NO_PATTERN_TYPES = {"date", "datetime", "amount", "number", "integer", "decimal", "currency", "boolean", "months"}
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\s*$")
_DATE_FORMATS = ["%d{s}%m{s}%Y", "%d{s}%m{s}%y", "%m{s}%d{s}%Y", "%m{s}%d{s}%y", "%Y{s}%m{s}%d"]


@dataclass
class Correction:
    """A corrected field (same shape as pipelines.review.actions.Correction)."""

    field: str
    value: str
    start: int | None = None
    end: int | None = None


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


# ---- locating the corrected value ----------------------------------------------------------


def _target(value: Any, spec: FieldSpec) -> Any:
    return convert(value, spec, None)


def _spans_of(doc: Document, c: Correction, spec: FieldSpec, target: Any) -> list[tuple[int, int]]:
    """Where the corrected value sits: the selection, else every place the typed value (or
    its normalised form, or its digits without a letter prefix) is printed."""
    if c.start is not None and c.end is not None and 0 <= c.start < c.end <= len(doc.text):
        return [(c.start, c.end)]
    return find_value(doc, str(c.value), spec, target)


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    a = max(a, text.rfind("\f", 0, pos) + 1)
    b = min(x for x in (text.find("\n", pos), text.find("\f", pos), len(text)) if x >= 0)
    return a, b


_VALUE_IN_LABEL = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}\.?\s+[^\W\d_]{3,}\.?\s+\d{4}|"
                             r"[^\W\d_]{3,}\.?\s+\d{1,2},\s+\d{4}|\d[\d,.]*[.,]\d{2}\b")


def _clean_label(s: str) -> str:
    """A label is words (a date, a year or an amount inside means it is a value, not a label)."""
    s = re.sub(r"[\s:#=.\-–—]+$", "", s).strip()
    return s if re.search(r"[^\W\d_]{2,}", s) and not _VALUE_IN_LABEL.search(s) else ""


def _labels(doc: Document, start: int, end: int) -> list[tuple[str, str]]:
    """(label, direction) candidates: the text left of the value on its line, then the column
    above it on the previous line."""
    text = doc.text
    ls, le = _line_bounds(text, start)
    out: list[tuple[str, str]] = []
    before = text[ls:start]
    segs = locate.segments(text, ls, start) if before.strip() else []
    if segs:
        a, b = segs[-1]
        gap_between = bool(re.search(r"\t|[ \u00a0]{3,}", text[b:start]))
        lab = _clean_label(text[a:b])
        if lab:
            out.append((lab, "right"))
            # in running text the words just before the value label it ("... (acct SVW-1)")
            words = re.findall(r"[^\W\d_][\w.'/-]*", text[a:b])
            for n in (2, 1):
                if len(words) > n and text[a:b].rstrip(" :#=").endswith(words[-1]):
                    short = _clean_label(" ".join(words[-n:]))
                    if short and short != lab and text[a:b].rstrip(" :#=").endswith(short):
                        out.append((short, "right"))
        # a value at the start of its column may be labelled by the column left of it
        if not gap_between and len(segs) >= 2:
            lab2 = _clean_label(text[segs[-2][0]:segs[-2][1]])
            if lab2:
                out.append((lab2, "right"))
    if ls > 0:
        ps, pe = _line_bounds(text, ls - 1)
        col = start - ls
        psegs = locate.segments(text, ps, pe)
        best = None
        for a, b in psegs:  # the segment above, by character column; else the nearest one
            if a - ps <= col < b - ps or best is None:
                best = (a, b)
        if psegs:
            # tab-separated columns do not align by characters: also try each segment by order
            order = len(locate.segments(text, ls, start)) if before.strip() else 0
            cands = [best] + ([psegs[order]] if order < len(psegs) else [])
            for a, b in dict.fromkeys(cands):
                lab = _clean_label(text[a:b])
                if lab:
                    out.append((lab, "below"))
    return list(dict.fromkeys(out))


# ---- generalising the value ----------------------------------------------------------------


_META = set(".^$*+?{}[]\\|()")


def esc(text: str) -> str:
    """re.escape for people: only the characters that mean something in a pattern."""
    return "".join("\\" + ch if ch in _META else ch for ch in text)


def value_pattern(raw: str) -> str | None:
    """The value's shape: digit runs -> \\d+, a short upper-case prefix kept ("INV-\\d+"),
    other letters generalised. None for text without digits (names, descriptions)."""
    raw = raw.strip()
    if not any(ch.isdigit() for ch in raw) or len(raw) > 40:
        return None
    out = []
    for i, m in enumerate(re.finditer(r"\d+|[^\W\d_]+|\s+|.", raw)):
        tok = m.group(0)
        if tok.isdigit():
            out.append(r"\d+")
        elif tok.isspace():
            out.append(r"\s?")
        elif tok.isalpha():
            if i == 0 and 2 <= len(tok) <= 5 and tok.isupper():
                out.append(esc(tok))
            else:
                out.append("[A-Z]+" if tok.isupper() else "[A-Za-z]+")
        else:
            out.append(esc(tok))
    return r"(?<![\w/])" + "".join(out) + r"(?![\w/])"


def _transforms(raw: str, spec: FieldSpec, target: Any) -> list[list[Any]]:
    """Transform lists to try, most specific first for numeric dates (the order of day and
    month in "03/06/26" is the supplier's habit; one unambiguous example pins it)."""
    options: list[list[Any]] = []
    if spec.type in ("date", "datetime"):
        m = _NUMERIC_DATE.match(raw)
        if m:
            sep = m.group(2)
            fmts = []
            for f in _DATE_FORMATS:
                f = f.format(s=sep)
                try:
                    got = dt.datetime.strptime(raw.strip(), f).date()
                except ValueError:
                    continue
                if got == (target.date() if isinstance(target, dt.datetime) else target):
                    fmts.append(f)
            options += [[{"date_format": f}] for f in fmts]
        options.append([])
        options += [["dayfirst"], ["monthfirst"]]
    elif spec.type in ("amount", "number", "decimal"):
        options += [[], [{"decimal": ","}], [{"decimal": "."}]]
    else:
        options += [[], ["collapse_spaces"], ["title"], [{"remove": " "}], *affix_transforms(raw, target)]
    return options


def _label_regex(label: str) -> str:
    """A label as a regex: digits generalised ("VAT @ 20%" -> "VAT @ \\d+%"), spaces flexible."""
    parts = []
    for tok in re.finditer(r"\d+|\s+|[^\d\s]+", label):
        t = tok.group(0)
        parts.append(r"\d+" if t.isdigit() else r"\s+" if t.isspace() else esc(t))
    return "".join(parts)


# ---- proposing one field's rule ------------------------------------------------------------


def _reproduces(rule: FieldRule, spec: FieldSpec, doc: Document, target: Any) -> bool:
    try:
        fv = run_rule(rule, spec, doc)
    except (NormalizeError, ValueError):
        return False
    return fv is not None and fv.value == target


def _example(doc: Document, rule: FieldRule, spec: FieldSpec, start: int, end: int, target: Any) -> dict[str, Any] | None:
    """The lines around the value as an inline example, kept only if the rule passes it as
    `mapper rules test` runs it (plain text)."""
    text = doc.text
    ls, le = _line_bounds(text, start)
    if rule.anchor is not None and rule.anchor.direction == "below" and ls > 0:
        ls = _line_bounds(text, ls - 1)[0]
    snippet = text[ls:max(le, end)]
    if len(snippet) > 300:
        return None
    ex_doc = parse_bytes(snippet.encode("utf-8"), name="example.txt")
    if not _reproduces(rule, spec, ex_doc, target):
        return None
    return {"text": snippet, "expected": _jsonable(target)}


def _ordered_labels(doc: Document, start: int, end: int) -> list[tuple[str, str]]:
    """Label candidates; in running text ("Invoice 4711 is payable by ...") the nearest
    stable words come first: a long or numbered phrase changes from one document to the next."""
    labels = _labels(doc, start, end)
    if labels and labels[0][1] == "right" and (any(ch.isdigit() for ch in labels[0][0]) or len(labels[0][0].split()) > 4):
        short = [lab for lab in labels if lab[1] == "right" and lab[0] != labels[0][0] and labels[0][0].endswith(lab[0])]
        labels = short + [lab for lab in labels if lab not in short]
    return labels


def _candidates(doc: Document, spec: FieldSpec, start: int, end: int, target: Any, rule_id: str) -> list[FieldRule]:
    """Rules to try for the value at start:end, most general first."""
    raw = doc.text[start:end]
    shape = None if spec.type in NO_PATTERN_TYPES or spec.type == "list" else value_pattern(raw)
    tried: list[FieldRule] = []
    labels = _ordered_labels(doc, start, end)
    ls = _line_bounds(doc.text, start)[0]
    for transforms in _transforms(raw, spec, target):
        for label, direction in labels:
            base: dict[str, Any] = {"id": rule_id, "transforms": transforms}
            if shape:
                base["pattern"] = shape
            tried.append(FieldRule(**base, anchor={"labels": [label], "direction": direction}))
            value_re = shape.replace(r"(?<![\w/])", "").replace(r"(?![\w/])", "") if shape else r"[^\t\n]+?"
            # below: the same tab column on the next line ("Deliver & invoice to" has no anchor form)
            sep = r"[ \t:#.]*" if direction == "right" else r"[^\n]*\n" + r"[^\t\n]*\t" * doc.text[ls:start].count("\t")
            end_re = "" if shape else r"(?=[\t\n\f]|$| {3})"
            tried.append(FieldRule(id=rule_id, transforms=transforms,
                                   regex=_label_regex(label) + sep + f"(?P<value>{value_re})" + end_re))
        first = locate.doc_index(doc).lines[:1]
        if first and first[0].start <= start < first[0].end:
            tried.append(FieldRule(id=rule_id, transforms=transforms, element=[first[0].element.kind.value],
                                   pattern=esc(raw) if not shape else shape))
    # a value at the start of its line, followed by a label ("Vintry Housing   Rechnung Nr.: ...")
    le = _line_bounds(doc.text, start)[1]
    after = locate.segments(doc.text, end, le) if not doc.text[ls:start].strip() else []
    if after:
        lab = _clean_label(re.split(r"[:#]", doc.text[after[0][0]:after[0][1]])[0])
        if lab:
            for transforms in _transforms(raw, spec, target):
                tried.append(FieldRule(id=rule_id, transforms=transforms,
                                       regex=r"(?m)^[ \t]*(?P<value>[^\t\n]+?)(?:\t|[ ]{2,})[ \t]*" + _label_regex(lab)))
    # a date or amount inside a sentence: the words before it, then the value's typed shape
    typed = typed_shape(raw, spec)
    if typed:
        for transforms in _transforms(raw, spec, target):
            for label, direction in labels:
                if direction != "right":
                    continue
                tried.append(FieldRule(id=rule_id, transforms=transforms, pattern=typed,
                                       anchor={"labels": [label], "direction": "right"}))
                tried.append(FieldRule(id=rule_id, transforms=transforms,
                                       regex=_label_regex(label) + r"[ \t:#.,\-]*" + f"(?P<value>{typed})"))
    return tried


def propose_field(doc: Document, name: str, spec: FieldSpec, c: Correction, rule_id: str,
                  *, allow_constant: bool = True) -> FieldRule | None:
    """The first rule (most general first) that reproduces the corrected value on `doc`."""
    target = _target(c.value, spec)
    for start, end in _spans_of(doc, c, spec, target)[:5]:
        for rule in _candidates(doc, spec, start, end, target, rule_id):
            if _reproduces(rule, spec, doc, target):
                ex = _example(doc, rule, spec, start, end, target)
                return rule.model_copy(update={"examples": [Example(**ex)]}) if ex else rule
    if allow_constant and name in CONSTANT_FIELDS:
        rule = FieldRule(id=rule_id, constant=target if not isinstance(target, (dt.date, Decimal)) else str(target))
        if _reproduces(rule, spec, doc, target):
            return rule
    return None


__all__ = ["CONSTANT_FIELDS", "Correction", "esc", "propose_field", "value_pattern"]
