"""Selectors that recognise a supplier, not a page.

A learned rule set must claim the supplier's next documents whatever their line items and
page count, and nobody else's. So its selector is built from what identifies the issuer:
the sender's domain for emails; else a phrase as printed in the document, tried in this
order: the issuer's VAT/tax number, IBAN, company registration number, the issuer's name.
Only when none is printed does it fall back to the label-vocabulary fingerprint (`lf2`,
see map/fingerprint.py) plus the first line's phrase, never a hash of every word of page 1.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.model.document import Document
from pipelines.map import fingerprint as fp
from pipelines.map.extract import locate
from pipelines.map.rules import Selector
from pipelines.map.selectors import DocView

_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){3,7}(?:[ \u00a0]?[A-Z0-9]{1,3})?(?![A-Z0-9])")
_COMPANY_NO = re.compile(
    r"(?i)\b(?:company|registered|reg(?:istration)?|handelsregister|siren|siret|kvk|hrb)\b[^\n\d]{0,25}"
    r"(?P<v>[A-Z]{0,3}[ \u00a0]?\d[\d \u00a0]{4,14}\d)")


def _printed(doc: Document, value: str) -> str | None:
    """The value as printed (case and spacing of the document), if it is printed."""
    value = value.strip()
    if len(value) < 4:
        return None
    m = re.search(re.escape(value), doc.text, re.IGNORECASE)
    if m is None and " " not in value:
        spaced = r"[ \u00a0]?".join(re.escape(ch) for ch in value)
        m = re.search(rf"(?<!\w){spaced}(?!\w)", doc.text, re.IGNORECASE)
    if m is None:  # "GB806718925" printed without its country prefix
        digits = re.sub(r"^[A-Za-z]{1,4}", "", value).replace(" ", "")
        if len(digits) >= 6 and digits.isdigit():
            spaced = r"[ \u00a0]?".join(re.escape(ch) for ch in digits)
            m = re.search(rf"(?<![\w]){spaced}(?![\w])", doc.text)
    return m.group(0) if m else None


def identity_phrases(doc: Document, values: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, phrase as printed) that identify the issuer, most specific first."""
    view = DocView(doc)
    out: list[tuple[str, str]] = []
    tax = values.get("issuer_tax_id")
    if isinstance(tax, str):
        p = _printed(doc, tax)
        if p and view.has_phrase(p):
            out.append(("tax_id", p))
    iban = values.get("iban") or values.get("issuer_iban")
    m = _IBAN.search(doc.text) if not isinstance(iban, str) else None
    p = _printed(doc, iban) if isinstance(iban, str) else (m.group(0) if m else None)
    if p and view.has_phrase(p):
        out.append(("iban", p))
    m = _COMPANY_NO.search(doc.text)
    if m and view.has_phrase(m.group("v")):
        out.append(("company_number", m.group("v")))
    name = values.get("issuer_name")
    if isinstance(name, str):
        p = _printed(doc, name)
        if p and len(p) >= 4 and view.has_phrase(p):
            out.append(("issuer_name", p))
    return out


def _first_line_phrase(doc: Document) -> list[str]:
    view = DocView(doc)
    for line in locate.doc_index(doc).lines[:3]:
        segs = locate.segments(doc.text, line.start, line.end)
        if segs:
            a, b = segs[0]
            phrase = doc.text[a:b].strip()
            if len(phrase.split()) >= 2 and not any(ch.isdigit() for ch in phrase) and view.has_phrase(phrase):
                return [phrase]
    return []


def selector_for(doc: Document, parent: Document | None, values: dict[str, Any]) -> Selector:
    """The selector of a new learned rule set for this document's source (`values`: the
    record as the reviewer left it, for the issuer's name and numbers)."""
    view = DocView(doc, parent)
    if view.sender_domain and (doc.metadata.get("email") or (parent is not None and parent.metadata.get("email"))):
        return Selector(sender_domains=[view.sender_domain], media_types=[doc.media_type])
    found = identity_phrases(doc, values)
    if found:
        return Selector(media_types=[doc.media_type], keywords=[found[0][1]])
    return Selector(media_types=[doc.media_type], keywords=_first_line_phrase(doc), layout=fp.label_fingerprint(doc))


__all__ = ["identity_phrases", "selector_for"]
