"""Corrections become rules: from a corrected value and where it sits, propose a rule set.

For each corrected field the value's span in the document (the reviewer's selection, or the
typed value found in the text) gives the label next to it: the text left of the value on its
line ("Document ref"), or the line above ("Deliver & invoice to"). A rule is only proposed if
running it on its own document reproduces the corrected value; finders are tried from the
most general (a label anchor with the value's shape as `pattern`) to the most literal (a regex
around the label, the first line, a constant for the issuer's own name and address).

The rule set's selector pins the source: the sender's domain for emails, else the layout
fingerprint plus a distinctive phrase from the document (the issuer's name or VAT number).
A learned rule set for the same source already under `<mappings>/learned/` is extended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from pipelines.config import Settings
from pipelines.document import Document
from pipelines.map.extract import locate
from pipelines.map.normalize import NormalizeError
from pipelines.map.rule_engine import convert, run_rule
from pipelines.map.rules import Example, FieldRule, RuleError, RuleSet, Selector, load_rules
from pipelines.map.schema import FieldSpec, Schema, load_schemas
from pipelines.map.selectors import DocView, matches
from pipelines.parse.dispatch import parse_bytes
from pipelines.review.evidence import find_value
from pipelines.review.identity import selector_for
from pipelines.review.shapes import affix_transforms, typed_shape
from pipelines.review.tables import propose_table

LEARNED_DIR = "learned"
CANDIDATES_DIR = Path("_review") / "candidates"
LEARNED_PRIORITY = 70  # above the shipped supplier rule sets: a learned selector is narrower
CONSTANT_FIELDS = {"issuer_name", "issuer_address"}  # one value per issuer: the selector pins the issuer
NO_PATTERN_TYPES = {"date", "datetime", "amount", "number", "integer", "decimal", "currency", "boolean", "months"}
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\s*$")
_DATE_FORMATS = ["%d{s}%m{s}%Y", "%d{s}%m{s}%y", "%m{s}%d{s}%Y", "%m{s}%d{s}%y", "%Y{s}%m{s}%d"]


class LearnError(ValueError):
    """Nothing reproducible could be proposed (the message says for which field and why)."""


@dataclass
class Correction:
    """A corrected field (same shape as pipelines.review.actions.Correction)."""

    field: str
    value: str
    start: int | None = None
    end: int | None = None


@dataclass
class Candidate:
    id: str  # stable: the same correction proposes the same id
    rule_set: RuleSet
    source: dict[str, Any]  # review_id, document_id, source_path, reviewer, decided_at, corrections
    merged_into: str | None = None  # path of the learned rule set file this candidate extends
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {field, reason}: corrections no rule reproduces

    def to_dict(self) -> dict[str, Any]:
        return {"candidate": self.id, "merged_into": self.merged_into, "source": _jsonable(self.source),
                "skipped": self.skipped, "rule_set": rule_set_dict(self.rule_set)}


# ---- the YAML form of a rule set ---------------------------------------------------------


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


def rule_set_dict(rs: RuleSet) -> dict[str, Any]:
    """A rule set as readable YAML data: provenance first, defaults left out."""
    out: dict[str, Any] = {}
    if rs.provenance:
        out["provenance"] = _jsonable(rs.provenance)
    out.update({"id": rs.id, "schema": rs.schema_name})
    if rs.description:
        out["description"] = rs.description
    out["priority"] = rs.priority
    out["match"] = rs.match.model_dump(exclude_defaults=True)
    out["use_generic"] = rs.use_generic
    if rs.review_fields:
        out["review_fields"] = list(rs.review_fields)
    fields: dict[str, Any] = {}
    for name, rules in rs.fields.items():
        fields[name] = [_jsonable(r.model_dump(exclude_defaults=True, exclude_none=True)) for r in rules]
    out["fields"] = fields
    return out


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)


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


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:30] or "source"


# ---- propose -------------------------------------------------------------------------------


def learned_dir(settings: Settings) -> Path:
    return Path(settings.mappings_dir) / LEARNED_DIR


def _existing_learned(settings: Settings, schemas: dict[str, Schema], schema: str, view: DocView) -> RuleSet | None:
    """A learned rule set of this schema whose selector already claims the document."""
    d = learned_dir(settings)
    if not d.is_dir():
        return None
    try:
        book = load_rules(settings.mappings_dir, schemas)
    except RuleError:
        return None
    for rs in book.rule_sets:
        if rs.schema_name == schema and Path(rs.source_file).parent.resolve() == d.resolve() and matches(rs.match, view):
            return rs
    return None


def _latest_decision(store: Any, review_id: str, actions: tuple[str, ...]) -> Any | None:
    ds = [d for d in store.decisions(review_id) if d.action in actions]
    return max(ds, key=lambda x: x.version) if ds else None


def _claiming_rule_set(settings: Settings, schemas: dict[str, Schema], view: DocView) -> RuleSet | None:
    """The rule set that claims the document now, if any."""
    try:
        book = load_rules(settings.mappings_dir, schemas)
    except RuleError:
        return None
    return next((rs for rs in book.rule_sets if matches(rs.match, view)), None)


def _corrections_of(decisions: list[Any]) -> list[Correction]:
    """The corrections of an item's accept/correct decisions, the latest per field (a second
    correction of the same field replaces the first; a later accept keeps them all)."""
    latest: dict[str, Correction] = {}
    for d in decisions:
        if d.action == "reject":
            latest.clear()
            continue
        for c in d.corrections:
            value = c.get("new")
            if value is None or value == "":
                value = c.get("text") or ""
            if isinstance(value, (list, dict)):
                value = json.dumps(value, ensure_ascii=False)
            latest[c["field"]] = Correction(c["field"], str(value), c.get("start"), c.get("end"))
    return [c for c in latest.values() if c.value]


def confirmed_values(item: Any, decision: Any, corrected: set[str], doc: Document,
                     schemas: dict[str, Schema]) -> list[Correction]:
    """Every value the reviewer vouched for unchanged (accept, or the fields a correction left
    alone) that no rule produced yet: it teaches as much as a correction. The extractor's
    evidence span is kept; a value without one is located when it is printed once."""
    schema = schemas.get(item.schema)
    after = decision.after or {}
    out = []
    for name, prop in sorted(item.fields.items()):
        if name in corrected or schema is None or name not in schema.fields:
            continue
        value = prop.get("value")
        if value is None or after.get(name) != value or prop.get("method") in ("rule", "default", "reviewer"):
            continue
        if isinstance(value, dict) or (isinstance(value, list) and not isinstance(schema.fields[name].items, dict)):
            continue
        ev = prop.get("evidence") or {}
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
        start, end = ev.get("start"), ev.get("end")
        if isinstance(value, list) or start is None or not (0 <= int(start) < int(end) <= len(doc.text)):
            start = end = None
        out.append(Correction(name, text, None if start is None else int(start), None if end is None else int(end)))
    return out


def _find_parent(settings: Settings, doc: Document) -> Document | None:
    if not doc.parent_id:
        return None
    from pipelines.review.documents import stored_documents

    for d, parent in stored_documents(settings):
        if d.id == doc.id:
            return parent
    return None


def propose(settings: Settings, review_id: str, corrections: list[Any] | None = None, *,
            include_confirmed: bool = True) -> Candidate:
    """A candidate rule set from a review item's corrections (default: its latest `correct`
    decision), plus (`include_confirmed`) the flagged values the reviewer kept as proposed.
    Raises LearnError if no correction yields a rule that reproduces its value."""
    from pipelines.review.documents import load_document
    from pipelines.review.store import ReviewStore

    store = ReviewStore(settings.kb_root)
    item = store.get(review_id)
    meta: dict[str, Any] = {}
    decision = _latest_decision(store, item.review_id, ("accept", "correct"))
    if corrections is None:
        if decision is None:
            raise LearnError(f"review item {item.review_id[:12]} has no accepted or corrected values to learn from")
        cs = _corrections_of(store.decisions(item.review_id))
    else:
        cs = [Correction(c.field, str(c.value), c.start, c.end) for c in corrections]
    doc = load_document(settings, item.document_id)
    confirmed: list[Correction] = []
    if decision is not None:
        meta = {"reviewer": decision.reviewer, "decided_at": decision.decided_at, "decision_id": decision.decision_id}
        if include_confirmed:
            confirmed = confirmed_values(item, decision, {c.field for c in cs}, doc, load_schemas(settings.schemas_dir))
    return propose_for_document(settings, doc, item.schema, cs, confirmed=confirmed,
                                proposed=(item.proposed or {}).get("fields", {}),
                                parent=_find_parent(settings, doc),
                                source={"review_id": item.review_id, "document_id": item.document_id,
                                        "source_path": item.source_path, **meta})


def propose_for_document(settings: Settings, doc: Document, schema_name: str, corrections: list[Correction], *,
                         confirmed: list[Correction] = (),  # type: ignore[assignment]
                         proposed: dict[str, Any] | None = None, parent: Document | None = None,
                         source: dict[str, Any] | None = None) -> Candidate:
    schemas = load_schemas(settings.schemas_dir)
    if schema_name not in schemas:
        raise LearnError(f"no schema {schema_name!r}: rules are learned for classified documents only")
    schema = schemas[schema_name]
    proposed = proposed or {}
    source = dict(source or {})
    source.setdefault("document_id", doc.id)
    source.setdefault("source_path", doc.source_path)
    source["corrections"] = [{"field": c.field, "value": c.value, "start": c.start, "end": c.end} for c in corrections]
    source["confirmed"] = [{"field": c.field, "value": c.value, "start": c.start, "end": c.end} for c in confirmed]
    view = DocView(doc, parent)
    existing = _existing_learned(settings, schemas, schema_name, view)
    values = {k: (v or {}).get("value") for k, v in proposed.items()} | {c.field: c.value for c in [*confirmed, *corrections]}
    match = existing.match if existing is not None else selector_for(doc, parent, values)
    key = json.dumps({"schema": schema_name, "document": doc.id, "corrections": source["corrections"]}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    tag = (match.sender_domains or match.keywords or [doc.name or "document"])[0]
    cand_id = existing.id if existing is not None else f"learned-{schema_name}-{_slug(tag)}-{digest}"
    fields: dict[str, list[FieldRule]] = {k: list(v) for k, v in (existing.fields.items() if existing else [])}
    base = None if existing is not None else _claiming_rule_set(settings, schemas, view)
    if base is not None and base.schema_name == schema_name and base.records == "one":
        # The document's own rule set (a shipped supplier's) keeps its rules inside the
        # narrower learned one, which outranks it: learned rules first, the old as fallbacks.
        for name, rules in base.fields.items():
            fields[name] = [r.model_copy(update={"id": f"{cand_id}.{r.id}", "priority": r.priority - 100,
                                                 "provenance": {"copied_from": base.id}}) for r in rules]
    used_ids = {r.id for rules in fields.values() for r in rules}
    skipped: list[dict[str, Any]] = []
    for c in [*corrections, *confirmed]:
        kind = "correction" if c in corrections else "confirmed"
        spec = schema.fields.get(c.field)
        if spec is None:
            skipped.append({"field": c.field, "reason": "not a field of the schema"})
            continue
        rule_id = f"{cand_id}.{c.field}"
        if rule_id in used_ids:
            rule_id = f"{rule_id}-{digest[:4]}"
        try:
            if spec.type == "list" and isinstance(spec.items, dict):
                from pipelines.review.actions import InvalidCorrection, normalise

                try:
                    items = normalise(c.field, c.value, spec)
                except InvalidCorrection as exc:
                    raise ValueError(str(exc)) from exc
                rule = propose_table(doc, spec, items, rule_id)
                if rule is None:
                    skipped.append({"field": c.field, "reason": "no table header above the items names their columns"})
                    continue
            else:
                rule = propose_field(doc, c.field, spec, c, rule_id)
        except (NormalizeError, ValueError) as exc:
            skipped.append({"field": c.field, "reason": f"value does not normalise: {exc}"})
            continue
        if rule is None:
            skipped.append({"field": c.field, "reason": "no rule found that reproduces the value on its document"})
            continue
        prov = {"from_review": source.get("review_id"), "document_id": doc.id, "learned_from": kind, "value": c.value}
        if c.start is not None:
            prov["span"] = [c.start, c.end]
        rules = fields.setdefault(c.field, [])
        top = max((r.priority for r in rules), default=-1)
        # the newest correction wins; earlier rules stay as fallbacks
        rules.insert(0, rule.model_copy(update={"priority": top + 1 if rules else 0, "provenance": prov}))
        used_ids.add(rule_id)
    learned_fields = {c.field for c in corrections if c.field in fields and any(
        (r.provenance or {}).get("value") == c.value for r in fields[c.field])}
    unlearned = sorted({c.field for c in corrections if c.field in schema.fields and c.field not in learned_fields}
                       | set(existing.review_fields if existing else []) - learned_fields)
    learned = [c for c in [*corrections, *confirmed] if c.field in fields and any(
        (r.provenance or {}).get("value") == c.value for r in fields[c.field])]
    if not learned:
        reasons = "; ".join(f"{s['field']}: {s['reason']}" for s in skipped) or "no corrections"
        raise LearnError(f"no rule could be proposed ({reasons})")
    rs = RuleSet.model_validate({
        "id": cand_id, "schema": schema_name, "priority": existing.priority if existing else LEARNED_PRIORITY,
        "description": existing.description if existing else
        f"Learned from review corrections on {doc.name or doc.source_path}.",
        "match": match.model_dump(exclude_defaults=True), "use_generic": True, "review_fields": unlearned,
        "provenance": dict(existing.provenance) if existing else ({"extends": base.id} if base is not None else {}),
        "fields": {k: [r.model_dump(exclude_defaults=True, exclude_none=True) for r in v] for k, v in fields.items()},
    })
    return Candidate(cand_id, rs, source, merged_into=existing.source_file if existing else None, skipped=skipped)


# ---- candidates on disk --------------------------------------------------------------------


def candidates_dir(settings: Settings) -> Path:
    return Path(settings.kb_root) / CANDIDATES_DIR


def save_candidate(settings: Settings, cand: Candidate) -> Path:
    path = candidates_dir(settings) / f"{cand.id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(dump_yaml(cand.to_dict()), encoding="utf-8")
    tmp.replace(path)
    return path


def load_candidate(settings: Settings, cand_id: str) -> Candidate:
    d = candidates_dir(settings)
    path = d / f"{cand_id}.yaml"
    if not path.is_file():
        found = sorted(d.glob(f"{cand_id}*.yaml")) if d.is_dir() else []
        if len(found) != 1:
            raise KeyError(f"no candidate {cand_id!r} under {d}" if not found else f"candidate id {cand_id!r} is ambiguous")
        path = found[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rs = RuleSet.model_validate(data["rule_set"])
    return Candidate(data["candidate"], rs, data.get("source") or {}, data.get("merged_into"), data.get("skipped") or [])


__all__ = ["Candidate", "Correction", "LearnError", "propose", "propose_for_document", "propose_field",
           "save_candidate", "load_candidate", "rule_set_dict", "dump_yaml", "value_pattern", "selector_for"]
