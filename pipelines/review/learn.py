"""What a person vouched for becomes rules: from a review item's decisions, propose a rule set.

Every value the reviewer corrected, and every value they accepted unchanged that no rule
produced yet, yields one field rule (learn_field.py: labels, value shapes, running text,
prefixes), a corrected item list a table rule (tables.py). A rule is only proposed if it
reproduces the value on its own document. A corrected field no rule reproduces is listed in
`review_fields`: on this source its value keeps going to a person.

The rule set's selector pins the source by the supplier's identity (identity.py): the sender's
domain for emails, else the issuer's tax number, IBAN, company number or name as printed.
A learned rule set for the same source already under `<mappings>/learned/` is extended.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.config import Settings
from pipelines.model.document import Document
from pipelines.map.normalize import NormalizeError
from pipelines.map.rules import FieldRule, RuleError, RuleSet, load_rules
from pipelines.model.schema import Schema, load_schemas
from pipelines.map.selectors import DocView, matches
from pipelines.review.corrections import InvalidCorrection, normalise
from pipelines.review.documents import load_document, stored_documents
from pipelines.review.identity import selector_for
from pipelines.review.learn_field import (  # noqa: F401  (re-exported: the learning API)
    CONSTANT_FIELDS, Correction, _jsonable, esc, propose_field, value_pattern,
)
from pipelines.review.store import ReviewStore
from pipelines.review.tables import propose_table
from pipelines.storage import kb_path
from pipelines.model.yaml_file import read_yaml

LEARNED_DIR = "learned"
CANDIDATES_DIR = Path("_review") / "candidates"
LEARNED_PRIORITY = 70  # above the shipped supplier rule sets: a learned selector is narrower


class LearnError(ValueError):
    """Nothing reproducible could be proposed (the message says for which field and why)."""


@dataclass
class Candidate:
    id: str  # stable: the same correction proposes the same id
    rule_set: RuleSet
    source: dict[str, Any]  # review_id, document_id, source_path, reviewer, decided_at, corrections
    merged_into: str | None = None  # path of the learned rule set file this candidate extends
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {field, reason}: corrections no rule reproduces
    alias_outcomes: list[dict[str, Any]] = field(default_factory=list)  # set on promotion (review/aliases.py)

    def to_dict(self) -> dict[str, Any]:
        return {"candidate": self.id, "merged_into": self.merged_into, "source": _jsonable(self.source),
                "skipped": self.skipped, "rule_set": rule_set_dict(self.rule_set)}


# ---- the YAML form of a rule set ---------------------------------------------------------


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
    for d, parent in stored_documents(settings):
        if d.id == doc.id:
            return parent
    return None


def propose(settings: Settings, review_id: str, corrections: list[Any] | None = None, *,
            include_confirmed: bool = True) -> Candidate:
    """A candidate rule set from a review item's corrections (default: its latest `correct`
    decision), plus (`include_confirmed`) the flagged values the reviewer kept as proposed.
    Raises LearnError if no correction yields a rule that reproduces its value."""
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
    # the labels next to the person's corrections: candidate aliases for every supplier
    # (not the issuer's own name and address: what labels them is the supplier's name, no label)
    names = {str(v).lower() for v in (values.get("issuer_name"),) if v}
    source["aliases"] = [{"field": c.field, "label": r.anchor.labels[0]} for c in corrections
                         for r in fields.get(c.field, [])[:1]
                         if r.anchor is not None and (r.provenance or {}).get("value") == c.value
                         and c.field not in CONSTANT_FIELDS
                         and not any(r.anchor.labels[0].lower().rstrip(". ") in n for n in names)]
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


def candidates_dir(settings: Settings) -> Any:
    """Beside the KB's tables (in its bucket for a KB URL): every reviewer's machine sees them."""
    return kb_path(settings.kb_root, *CANDIDATES_DIR.parts)


def save_candidate(settings: Settings, cand: Candidate) -> Any:
    path = candidates_dir(settings) / f"{cand.id}.yaml"
    text = dump_yaml(cand.to_dict())
    if not isinstance(path, Path):
        path.write_text(text, encoding="utf-8")  # one PUT: whole or absent
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
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
    data = read_yaml(path)
    rs = RuleSet.model_validate(data["rule_set"])
    return Candidate(data["candidate"], rs, data.get("source") or {}, data.get("merged_into"), data.get("skipped") or [])


__all__ = ["Candidate", "Correction", "LearnError", "propose", "propose_for_document", "propose_field",
           "save_candidate", "load_candidate", "rule_set_dict", "dump_yaml", "value_pattern", "selector_for"]
