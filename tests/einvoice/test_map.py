"""E-invoice values from the XML rules (mappings/einvoice/), credit notes negated, hybrid PDFs
cross-checked with their page, bare XML and XML attached to an email landing the same way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipelines.map.rules import RuleError, load_rules
from pipelines.model.schema import load_schemas
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "einvoice"


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper.from_dirs(ROOT / "schemas", MAPPINGS)


def _outcomes(mapper: Mapper, name: str, data: bytes | None = None):
    doc = parse_bytes(data if data is not None else (FIX / name).read_bytes(), name=name)
    return doc, list(mapper.outcomes(doc))


@pytest.mark.parametrize("name,number,rule_set", [
    ("cii_invoice.xml", "KM-2025-0314", "einvoice_cii"), ("ubl_invoice.xml", "KM-2025-0315", "einvoice_ubl"),
    ("zugferd1_invoice.xml", "KM-2025-0317", "einvoice_zugferd1")])
def test_bare_invoice_xml_lands_with_every_field_from_the_xml(mapper, name, number, rule_set):
    doc, [oc] = _outcomes(mapper, name)
    assert oc.outcome == "landed", oc.reason
    [rec] = oc.records
    v = rec.values()
    assert rec.rule_set == rule_set and rec.document_id == doc.id
    assert (v["invoice_number"], v["type_code"], v["currency"]) == (number, "380", "EUR")
    assert (v["issue_date"], v["due_date"]) == (date(2025, 3, 14), date(2025, 4, 13))
    assert (v["issuer_name"], v["customer_name"]) == ("Kestrel Messtechnik GmbH", "Lindqvist Bygg AB")
    assert (v["issuer_tax_id"], v["customer_tax_id"]) == ("DE287654321", "SE556677889901")
    assert v["issuer_address"] == "Hafenstrasse 12, 28217, Bremen, DE"
    assert v["customer_address"] == "Storgatan 4, 41138, Göteborg, SE"
    assert (v["subtotal_amount"], v["tax_amount"], v["total_amount"], v["amount_due"]) == (
        Decimal("897.00"), Decimal("170.43"), Decimal("1067.43"), Decimal("1067.43"))
    assert v["iban"] == "DE02120300000000202051"
    assert v["line_items"] == [
        {"description": "Pressure sensor PX-40", "quantity": Decimal("12"), "unit_price": Decimal("48.5"),
         "vat_category": "S", "vat_rate": Decimal("19"), "amount": Decimal("582.00")},
        {"description": "Calibration service", "quantity": Decimal("3.5"), "unit_price": Decimal("90"),
         "vat_category": "S", "vat_rate": Decimal("19"), "amount": Decimal("315.00")}]
    # provenance: the element's path and its exact span in the XML text
    ev = rec.fields["total_amount"].evidence
    assert ev.document_id == doc.id and doc.text[ev.start:ev.end] == "1067.43" == ev.text
    assert ev.path.rsplit(":", 1)[-1] in ("GrandTotalAmount", "TaxInclusiveAmount")


@pytest.mark.parametrize("name", ["cii_credit_note.xml", "ubl_credit_note.xml"])
def test_credit_notes_carry_negative_amounts(mapper, name):
    _, [oc] = _outcomes(mapper, name)
    assert oc.outcome == "landed", oc.reason
    v = oc.records[0].values()
    assert v["type_code"] == "381"
    assert (v["subtotal_amount"], v["tax_amount"], v["total_amount"]) == (Decimal("-897.00"), Decimal("-170.43"), Decimal("-1067.43"))
    assert [i["amount"] for i in v["line_items"]] == [Decimal("-582.00"), Decimal("-315.00")]
    assert all(i["unit_price"] > 0 and i["quantity"] > 0 for i in v["line_items"])


def test_hybrid_pdf_whose_page_agrees_lands_one_record_read_from_its_xml(mapper):
    pdf, outcomes = _outcomes(mapper, "hybrid_agrees.pdf")
    by_name = {oc.document.name: oc for oc in outcomes}
    top, xml = by_name["hybrid_agrees.pdf"], by_name["factur-x.xml"]
    assert top.outcome == "landed", top.reason
    [rec] = top.records
    assert rec.document_id == pdf.id and rec.values()["invoice_number"] == "KM-2025-0316"
    total = rec.fields["total_amount"]
    assert total.evidence.document_id == xml.document.id  # evidence: the XML element
    assert xml.document.text[total.evidence.start:total.evidence.end] == "1067.43"
    assert total.confidence > rec.fields["issuer_name"].confidence  # the page shows it too
    assert xml.outcome == "landed" and xml.records == []  # its data landed as the PDF's record


def test_hybrid_pdf_whose_page_disagrees_goes_to_review_with_both_values(mapper):
    _, outcomes = _outcomes(mapper, "hybrid_page_mismatch.pdf")
    top = outcomes[0]
    assert top.outcome == "review"
    issues = {i.field: i for i in top.issues[top.records[0].record_id]}
    assert issues["total_amount"].code == "einvoice_page_mismatch"
    assert "1067.43" in issues["total_amount"].message and "1234.56" in issues["total_amount"].message
    assert "GB33BUKB20201555555555" in issues["iban"].message and "DE02120300000000202051" in issues["iban"].message
    assert top.records[0].values()["total_amount"] == Decimal("1067.43")  # the XML's value is proposed


def test_invoice_xml_attached_to_an_email_lands(mapper):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "billing@example.org", "ap@example.com", "Invoice KM-2025-0315"
    msg.set_content("Please find our invoice attached.")
    msg.add_attachment((FIX / "ubl_invoice.xml").read_bytes(), maintype="application", subtype="xml", filename="invoice.xml")
    _, outcomes = _outcomes(mapper, "mail.eml", msg.as_bytes())
    xml = next(oc for oc in outcomes if oc.document.name == "invoice.xml")
    assert xml.outcome == "landed", xml.reason
    assert xml.records[0].values()["invoice_number"] == "KM-2025-0315"


def test_bad_xpath_in_a_rule_set_is_reported_with_the_rule(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "id: broken\nschema: invoice\nmatch: {xml_roots: ['{urn:x}Invoice']}\nnamespaces: {x: 'urn:x'}\n"
        "fields:\n  invoice_number: {id: bad_number, xpath: '/x:Invoice/x:ID['}\n", encoding="utf-8")
    with pytest.raises(RuleError, match="bad_number"):
        load_rules(tmp_path, load_schemas(ROOT / "schemas"))


def test_a_pdf_with_two_embedded_xmls_lands_one_record_and_flags_a_conflict(mapper):
    from facturx import generate_from_binary

    page = (FIX / "page_only.pdf").read_bytes()
    same = (FIX / "cii_invoice.xml").read_bytes().replace(b"KM-2025-0314", b"KM-2025-0316")
    ubl = (FIX / "ubl_invoice.xml").read_bytes().replace(b"KM-2025-0315", b"KM-2025-0316")
    for second, outcome in ((ubl, "landed"), (ubl.replace(b">1067.43<", b">1167.43<"), "review")):
        pdf = generate_from_binary(page, same, check_xsd=False, attachments={"ubl.xml": {"filedata": second}})
        doc, outcomes = _outcomes(mapper, "two.pdf", pdf)
        assert len(doc.children) == 2
        assert [len(oc.records) for oc in outcomes] == [1, 0, 0]  # the PDF's record only
        assert outcomes[0].outcome == outcome, outcomes[0].reason
    assert {i.code for i in outcomes[0].issues[outcomes[0].records[0].record_id]} == {"einvoice_conflict"}
