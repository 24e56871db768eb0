"""Hybrid e-invoices: a PDF whose embedded XML (Factur-X / ZUGFeRD / XRechnung) is its data.

The PDF is the invoice a person sees; the XML is what its values are read from (the
`einvoice_*` rule sets under mappings/einvoice/). The record belongs to the PDF, its evidence
points into the XML child. The page is then read by the generic extractor and compared:
a value the page shows as well is surer; a page showing a different total or IBAN than the
XML (a tampered or mismatched e-invoice, a known fraud pattern) sends the document to review
with both values. The XML child itself lands no record of its own: its data is the PDF's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pipelines.model.document import Document, Status
from pipelines.ingest.sniff import PDF
from pipelines.model.records import FieldValue, Issue, Record

MISMATCH = "einvoice_page_mismatch"
INVALID = "einvoice_invalid"
CONFLICT = "einvoice_conflict"
# Fields whose disagreement with the page sends the document to a person: what is paid, to whom.
CROSS_CHECKED = ("invoice_number", "total_amount", "subtotal_amount", "tax_amount", "amount_due", "iban", "currency")
AGREED_CONFIDENCE = 0.995  # the XML's value, and the page shows it too


def embedded_einvoices(doc: Document) -> list[Document]:
    """The e-invoice XMLs a PDF carries (normally one; some senders add a second syntax)."""
    if doc.media_type != PDF:
        return []
    return [c for c in doc.children if c.status is Status.PARSED and c.metadata.get("einvoice")]


def embedded_einvoice(doc: Document) -> Document | None:
    """The e-invoice XML a PDF carries (the first one), if any."""
    found = embedded_einvoices(doc)
    return found[0] if found else None


def is_embedded(doc: Document, parent: Document | None) -> bool:
    """Whether `doc` is an e-invoice XML of its parent PDF (its data lands with the PDF)."""
    return parent is not None and any(x is doc for x in embedded_einvoices(parent))


def conflicts(first: Record, other: Record, name: str) -> list[Issue]:
    """A second embedded XML must describe the same invoice as the first."""
    out = []
    for field in ("invoice_number", "total_amount", "iban"):
        a, b = first.fields.get(field), other.fields.get(field)
        if a is not None and b is not None and not _same(a.value, b.value):
            out.append(Issue(CONFLICT, field, f"the embedded XMLs disagree: {a.value} vs {b.value} in {name}"))
    return out


def xsd_issues(doc: Document) -> list[Issue]:
    info = doc.metadata.get("einvoice") or {}
    if info.get("xsd") != "invalid":
        return []
    first = (info.get("xsd_errors") or ["?"])[0]
    return [Issue(INVALID, None, f"the e-invoice XML is not valid against {info.get('xsd_file')}: {first}")]


def _amount_pattern(value: Decimal) -> re.Pattern[str]:
    """An amount as pages print it: 1067.43, 1,067.43, 1.067,43, 1 067,43, 1'067.43."""
    q = abs(value).quantize(Decimal("0.01"))
    whole, cents = f"{q:f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    body = r"[.,\s'\u00a0\u202f]?".join(groups)
    return re.compile(rf"(?<![\d.,]){body}[.,]{cents}(?!\d)")


def _compact(s: str) -> str:
    return re.sub(r"[\s\u00a0]+", "", s).upper()


def shown_on_page(page_text: str, value: Any) -> bool:
    """Whether the page's text shows `value` (amounts in any common format, ids ignoring spaces)."""
    if isinstance(value, Decimal):
        return _amount_pattern(value).search(page_text) is not None
    if isinstance(value, str) and value.strip():
        return _compact(value) in _compact(page_text)
    return False


def _page_value(fv: FieldValue | None) -> Any:
    if fv is None or fv.method == "default":
        return None
    return fv.value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return abs(abs(a) - abs(b)) <= Decimal("0.01")  # a credit note's page may print no sign
    if isinstance(a, str) and isinstance(b, str):
        return _compact(a) == _compact(b)
    return bool(a == b)


def cross_check(pdf: Document, xml_record: Record, page: Record) -> Record:
    """The PDF's record: the XML's values, confirmed or contradicted by the page."""
    record = Record(xml_record.schema, pdf.id, pdf.source_path, index=xml_record.index,
                    fields=dict(xml_record.fields), issues=list(xml_record.issues),
                    rule_set=xml_record.rule_set, classifier=xml_record.classifier)
    for name in CROSS_CHECKED:
        fv = record.fields.get(name)
        if fv is None:
            continue
        on_page = _page_value(page.fields.get(name))
        if shown_on_page(pdf.text, fv.value) or (on_page is not None and _same(on_page, fv.value)):
            record.fields[name] = replace(fv, confidence=max(fv.confidence, AGREED_CONFIDENCE))
        elif on_page is not None:
            ev = page.fields[name].evidence
            where = f" (page {ev.page}: {ev.text!r})" if ev is not None else ""
            record.issues.append(Issue(MISMATCH, name, f"the embedded XML says {fv.value}; the page says {on_page}{where}"))
    return record
