"""E-invoice XML: recognised by its root, profile/version/type recorded, XSD-checked, read safely;
PDF embedded files become child documents."""

from __future__ import annotations

from pathlib import Path

from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.xml_safe import UnsafeXML, parse_text

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "einvoice"


def _parse(name: str, data: bytes | None = None):
    doc = parse_bytes(data if data is not None else (FIX / name).read_bytes(), name=name)
    assert doc.status == "parsed", doc.reason_text
    return doc


def test_cii_and_ubl_recognised_with_profile_version_and_xsd():
    cii = _parse("cii_invoice.xml")
    assert cii.media_type == "application/xml"
    info = cii.metadata["einvoice"]
    assert (info["syntax"], info["version"], info["type_code"], info["document"]) == ("cii", "D16B", "380", "invoice")
    assert info["profile"] == "urn:cen.eu:en16931:2017" and info["xsd"] == "valid"
    assert cii.text == (FIX / "cii_invoice.xml").read_text(encoding="utf-8")  # spans point into the XML text

    ubl = _parse("ubl_credit_note.xml").metadata["einvoice"]
    assert (ubl["syntax"], ubl["version"], ubl["document"], ubl["type_code"]) == ("ubl", "2.1", "credit_note", "381")
    assert ubl["standard"] == "Peppol BIS Billing 3.0" and ubl["process"].startswith("urn:fdc:peppol.eu")
    assert ubl["xsd"] == "valid" and ubl["xsd_file"].endswith("UBL-CreditNote-2.1.xsd")


def test_zugferd1_recognised_and_checked_against_its_xsd():
    info = _parse("zugferd1_invoice.xml").metadata["einvoice"]
    assert (info["syntax"], info["version"], info["standard"], info["xsd"]) == ("cii", "ZUGFeRD 1.0", "ZUGFeRD 1.0", "valid")
    assert info["profile"].endswith(":comfort")


def test_xml_failing_its_xsd_is_marked_invalid():
    data = (FIX / "cii_invoice.xml").read_bytes().replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Kind>380</ram:Kind>", 1)
    info = _parse("broken.xml", data).metadata["einvoice"]
    assert info["xsd"] == "invalid" and "Kind" in info["xsd_errors"][0]


def test_doctype_and_entities_are_never_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&b;&x;</r>')
    try:
        parse_text(bomb.decode())
        raise AssertionError("a DOCTYPE must be refused")
    except UnsafeXML:
        pass
    doc = _parse("bomb.xml", bomb)  # read as plain text, with a warning; nothing expanded or read
    assert "einvoice" not in doc.metadata and "aaaaaaaaaa" * 2 not in doc.text and "root:" not in doc.text
    assert any("DOCTYPE" in w for w in doc.warnings)


def test_other_xml_is_still_read_as_text():
    doc = _parse("notes.xml", b"<?xml version='1.0'?>\n<notes>\n  <note>Call the meter reader on Monday</note>\n</notes>\n")
    assert "einvoice" not in doc.metadata and doc.metadata["xml_root"] == "notes"
    assert "Call the meter reader on Monday" in doc.text


def test_element_spans_point_at_values_including_non_ascii_text():
    text = (FIX / "cii_invoice.xml").read_text(encoding="utf-8")
    view = parse_text(text)
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    for el in view.root.xpath("//ram:CityName | //ram:GrandTotalAmount", namespaces=ns):
        start, end = view.text_span(el)
        assert text[start:end] == el.text
    tax = view.root.xpath("//ram:TaxTotalAmount", namespaces=ns)[0]
    start, end = view.attr_span(tax, "currencyID")
    assert text[start:end] == "EUR"


def test_pdf_embedded_xml_becomes_a_child_document():
    pdf = _parse("hybrid_agrees.pdf")
    assert [c.name for c in pdf.children] == ["factur-x.xml"]
    child = pdf.children[0]
    assert child.parent_id == pdf.id and child.source_path.endswith("hybrid_agrees.pdf#factur-x.xml")
    assert child.metadata["einvoice"]["syntax"] == "cii"
    assert "Kestrel Messtechnik GmbH" in pdf.text  # the page is read as before
    assert _parse("page_only.pdf").children == []
