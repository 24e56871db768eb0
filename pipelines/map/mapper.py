"""Maps one parsed document onto records: classify, then rules, then the generic extractor."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.model.document import Document, Kind
from pipelines.map import einvoice
from pipelines.map.classify import Classification, classify
from pipelines.model.records import FieldValue, Issue, Record
from pipelines.map.extract import extract_generic
from pipelines.map.rows import extract_rows
from pipelines.map.rule_engine import apply_rule_set, key_map
from pipelines.map.rules import RuleBook
from pipelines.model.schema import Schema
from pipelines.map.selectors import DocView


@dataclass
class MapResult:
    document: Document
    classification: Classification | None
    records: list[Record] = field(default_factory=list)


def map_document(doc: Document, schemas: dict[str, Schema], book: RuleBook, parent: Document | None = None) -> MapResult:
    xml = einvoice.embedded_einvoice(doc)
    if xml is not None:
        hybrid = _map_hybrid(doc, xml, schemas, book)
        if hybrid is not None:
            return hybrid
    elif einvoice.is_embedded(doc, parent) and (inner := _map_xml(doc, schemas, book)) and inner.classification:
        # The PDF's record carries this XML's values; the XML adds none of its own.
        return MapResult(doc, Classification(inner.classification.schema, "one", "einvoice:embedded_in_parent"), [])
    result = _map_one(doc, schemas, book, parent)
    cover = _cover_of(doc, result, schemas, book)
    if cover is not None:
        return cover
    if doc.metadata.get("einvoice"):
        for rec in result.records:
            rec.issues.extend(einvoice.xsd_issues(doc))
    return result


def _cover_of(doc: Document, result: MapResult, schemas: dict[str, Schema], book: RuleBook) -> MapResult | None:
    """A message that only sends a document along ("please find attached our invoice"): no rule set
    reads it, its own record lacks required values, and an attachment of the same schema states
    more of them. The attachment's record is the document; the message lands in the catalog
    without a record of its own, instead of asking a person for values the attachment holds."""
    c = result.classification
    if c is None or c.rule_set is not None or c.records != "one" or len(result.records) != 1 or not doc.children:
        return None
    required = schemas[c.schema].required_fields()
    own = sum(n in result.records[0].fields for n in required)
    if own == len(required):
        return None  # the message states the whole document itself
    # A required value the message's body states itself (not its headers) must be the attachment's
    # too: a body naming another number or date is a second document, which keeps its record. A
    # value more likely wrong than right (a greeting read as an issuer) states nothing.
    stated = {n: v.value for n, v in result.records[0].fields.items()
              if n in required and v.confidence >= 0.5 and not _in_header(doc, v)}
    for child in doc.children:
        inner = _map_one(child, schemas, book, doc)
        if (inner.classification is not None and inner.classification.schema == c.schema and len(inner.records) == 1
                and sum(n in inner.records[0].fields for n in required) > own
                and all(n in inner.records[0].fields and inner.records[0].fields[n].value == v
                        for n, v in stated.items())):
            return MapResult(doc, Classification(c.schema, "one", f"cover_of_attachment:{child.id[:12]}"), [])
    return None


def _in_header(doc: Document, value: FieldValue) -> bool:
    """Whether a value was read from an e-mail header line (From, Date ...), not from the body."""
    ev = value.evidence
    if ev is None or ev.start is None or ev.document_id != doc.id:
        return False
    return any(e.kind == Kind.EMAIL_HEADER and e.start <= ev.start < e.end for e in doc.elements)


def _map_hybrid(pdf: Document, xml: Document, schemas: dict[str, Schema], book: RuleBook) -> MapResult | None:
    """A PDF with an embedded e-invoice: the XML's record, cross-checked with the page
    (None when no rule set maps the XML: the PDF is then read as any other)."""
    inner = _map_xml(xml, schemas, book)
    if inner is None or inner.classification is None:
        return None
    schema = schemas[inner.classification.schema]
    xml_record = inner.records[0]
    xml_record.issues.extend(einvoice.xsd_issues(xml))
    for other in einvoice.embedded_einvoices(pdf)[1:]:
        more = _map_xml(other, schemas, book)
        if more is not None:
            xml_record.issues.extend(einvoice.conflicts(xml_record, more.records[0], other.name or "?"))
    record = einvoice.cross_check(pdf, xml_record, extract_generic(pdf, schema))
    return MapResult(pdf, inner.classification, [record])


def _map_xml(xml: Document, schemas: dict[str, Schema], book: RuleBook) -> MapResult | None:
    """An e-invoice XML mapped on its own by a rule set into one record (None: no rule set maps it)."""
    inner = _map_one(xml, schemas, book, None)
    if inner.classification is None or inner.classification.rule_set is None or len(inner.records) != 1:
        return None
    return inner


def _map_one(doc: Document, schemas: dict[str, Schema], book: RuleBook, parent: Document | None) -> MapResult:
    view = DocView(doc, parent)
    found = classify(view, book, schemas)
    if not found:
        return MapResult(doc, None)
    c = found[0]
    schema = schemas[c.schema]
    rs = c.rule_set
    if c.records == "per_row":
        records = extract_rows(doc, schema, key_map=key_map(rs) if rs else None)
        if rs:
            # Non-key rules read the document once ("effective from 1 April 2026") and the
            # value holds for every row that does not carry its own.
            shared = Record(schema.name, doc.id, doc.source_path)
            apply_rule_set(rs, doc, schema, shared)
            for rec in records:
                rec.rule_set = rs.id
                for name, fv in shared.fields.items():
                    rec.fields.setdefault(name, fv)
        for rec in records:
            rec.classifier = c.decided_by
        _fill_from_document(doc, schema, records)
        if not records:
            rec = Record(schema.name, doc.id, doc.source_path, classifier=c.decided_by, rule_set=rs.id if rs else None)
            rec.issues.append(Issue("unsupported_document", None, f"classified as {schema.name} ({c.decided_by}) but no data rows map to its fields"))
            records = [rec]
        return MapResult(doc, c, records)
    record = Record(schema.name, doc.id, doc.source_path, classifier=c.decided_by, rule_set=rs.id if rs else None)
    if rs:
        apply_rule_set(rs, doc, schema, record)
    if rs is None or rs.use_generic:
        # after rules, only the fields they left empty (a rule's value is never replaced)
        generic = extract_generic(doc, schema, only=None if rs is None else [n for n in schema.fields if n not in record.fields],
                                  known_layout=rs is not None)
        ruled = set(record.fields)
        for name, fv in generic.fields.items():
            if name not in ruled:
                record.fields[name] = fv
        # the generic extractor's doubts about its own values (a close second reading, a value
        # below the landing threshold) travel with them; about a rule's value it has none
        record.issues.extend(i for i in generic.issues if i.field not in ruled)
    return MapResult(doc, c, [record])


def _fill_from_document(doc: Document, schema: Schema, records: list[Record]) -> None:
    """Rows often leave out what the document states once for all of them ("all prices in GBP",
    "effective from 1 April"). Fields no row carries are taken from the document, when sure."""
    if not records:
        return
    in_rows = {name for rec in records for name in rec.fields}
    missing = [n for n, spec in schema.fields.items() if n not in in_rows and spec.type != "list"]
    if not missing:
        return
    doc_level = extract_generic(doc, schema, only=missing)
    for name in missing:
        fv = doc_level.fields.get(name)
        if fv is not None and fv.method != "default" and fv.confidence >= schema.min_confidence:
            for rec in records:
                rec.fields[name] = fv
