"""A value of a field the calibration measured, read by a finder family it has no curve for,
has no known probability: it does not land by itself, whatever its raw score (the schema's
min_confidence is no probability). An unlabelled amount that subtotal + tax make the total
("sum+check") was never measured; the same invoice lands once a total label reads it, a family
the calibration did measure ("label+check")."""

from __future__ import annotations

from pathlib import Path

from pipelines.map.extract import calibration
from pipelines.map.mapper import map_document
from pipelines.map.rules import load_rules
from pipelines.model.schema import load_schemas
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import LANDED, REVIEW

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
INVOICE = """Ashgrove Print Works Ltd
4 Mill Lane, York YO1 7HH
INVOICE
Invoice Number: AP-5521
Invoice Date: 2 February 2026
Bill To: Riverside Florist
Subtotal: 250.00
VAT (20%): 50.00
GBP 300.00
"""


def test_a_total_of_an_unmeasured_family_goes_to_a_person(tmp_path: Path) -> None:
    schemas = load_schemas(SCHEMAS)
    assert "total_amount" in calibration.measured("invoice")
    mapper = Mapper(schemas, load_rules(tmp_path, schemas))  # no rules: the generic extractor alone
    doc = parse_bytes(INVOICE.encode(), name="invoice.txt")
    result = map_document(doc, schemas, mapper.book)
    rec = result.records[0]
    out = mapper.outcome_of(doc, result)
    assert out.outcome == REVIEW
    total = [i for i in out.issues[rec.record_id] if i.field == "total_amount"]
    assert total and total[0].code == "low_confidence" and "never measured" in total[0].message
    # its raw score would have cleared the schema's min_confidence: that alone used to land it
    assert rec.fields["total_amount"].confidence >= schemas["invoice"].min_confidence

    labelled = INVOICE.replace("GBP 300.00", "Total Due: GBP 300.00")
    doc = parse_bytes(labelled.encode(), name="invoice2.txt")
    result = map_document(doc, schemas, mapper.book)
    out = mapper.outcome_of(doc, result)
    assert out.outcome == LANDED, out.issues
    assert str(result.records[0].values()["total_amount"]) == "300.00"


def test_a_total_label_over_its_amount_with_a_currency_or_tax_note_after_it() -> None:
    """'TOTAL: RM', 'TOTAL INCL. GST:RM', 'TOTAL INCL.OF GST' on one line, the amount on the next:
    the note after the label is no value, so the amount below is the total."""
    from pipelines.map.extract import extract_generic

    schema = load_schemas(SCHEMAS)["invoice"]
    head = "ORCHARD HOME STORE SDN BHD\n8 JALAN DAMAI, 43000 KAJANG\nDATE: 14/06/2018\nLAMP 1 5.00\nHOOK 1 6.80\n"
    for label in ("TOTAL: RM", "TOTAL INCL. GST:RM", "TOTAL INCL.OF GST", "TOTAL INCL. OF GST"):
        doc = parse_bytes(f"{head}{label}\n11.80\nCASH\n20.00\n".encode(), name="r.txt")
        fv = extract_generic(doc, schema).fields.get("total_amount")
        assert fv is not None and str(fv.value) == "11.80", label
    # a currency code right of its label after a colon is still that label's value
    doc = parse_bytes(b"INVOICE\nInvoice No: A-1\nCurrency: EUR\nTotal: 40.00\n", name="i.txt")
    assert extract_generic(doc, schema).fields["currency"].value == "EUR"
