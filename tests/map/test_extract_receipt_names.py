"""The shop's name on invented receipts: readings of one name that agree, and a name printed under
the document's title (the addressee's) that does not contest the letterhead's."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.records import Record
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

TAIL = """NO. 14, JALAN KEMUNING 3,
47100 PUCHONG, SELANGOR
TEL: 03-8061 2244
TAX INVOICE
INVOICE NO: TK-55012
DATE: 02/05/2018
BROWN BREAD 2 X 3.20 6.40
TOTAL 6.40
CASH 10.00
CHANGE 3.60
"""


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _extract(text: str, schema: Schema) -> Record:
    doc = parse_bytes(text.encode(), name="receipt.txt")
    assert doc.status == "parsed"
    return extract_generic(doc, schema)


def _conflicts(rec: Record) -> list[str]:
    return [i.message for i in rec.issues if i.code == "conflict" and i.field == "issuer_name"]


@pytest.mark.parametrize("first, name", [
    # the legal form's own dot: the legal-form reading keeps it, the header-line reading did not
    ("TIMBER OWL BAKERS SDN. BHD.", "TIMBER OWL BAKERS SDN. BHD."),
    # a company number after the legal form is no part of the name
    ("TIMBER OWL BAKERS SDN BHD 775321-K", "TIMBER OWL BAKERS SDN BHD"),
    ("Timber Owl Bakers Ltd 04417723", "Timber Owl Bakers Ltd"),
])
def test_two_readings_of_one_name_agree(invoice_schema: Schema, first: str, name: str) -> None:
    rec = _extract(f"{first}\n{TAIL}", invoice_schema)
    assert rec.values()["issuer_name"] == name
    assert not _conflicts(rec)


def test_a_name_under_the_title_is_the_addressee_not_a_rival(invoice_schema: Schema) -> None:
    """A delivery invoice: the bakery's letterhead, the title, then the shop it delivers to (its
    legal name and address, no 'Bill to' label). The shop's name does not contest the bakery's."""
    text = ("MORNING STAR BAKERIES SDN BHD (412233-W)\nLOT 7, JALAN PERINDUSTRIAN 2,\n40300 SHAH ALAM, SELANGOR.\n"
            "TEL: 03-5542 1100\nTAX INVOICE\nCASH INV NO.: 88A1207\nDATE: 12/03/2018\n"
            "RIVERSIDE FRESH MART SDN BHD\nNO. 3, JALAN SS 2/4,\n47300 PETALING JAYA, SELANGOR\n"
            "WHITE LOAF 2 X 2.50 5.00\nTOTAL 5.00\n")
    rec = _extract(text, invoice_schema)
    assert rec.values()["issuer_name"] == "MORNING STAR BAKERIES SDN BHD"
    assert not _conflicts(rec)


def test_a_name_above_the_title_still_contests(invoice_schema: Schema) -> None:
    """Only a name under the title is the addressee's: two legal names in the letterhead above it
    (which one issued the receipt?) still leave the choice to a person when they are as likely."""
    text = ("MORNING STAR BAKERIES SDN BHD\nRIVERSIDE FRESH MART SDN BHD\nLOT 7, JALAN PERINDUSTRIAN 2,\n"
            "40300 SHAH ALAM, SELANGOR.\nTAX INVOICE\nDATE: 12/03/2018\nTOTAL 5.00\n")
    rec = _extract(text, invoice_schema)
    name = rec.fields["issuer_name"]
    assert _conflicts(rec) or name.confidence < 0.9


BODY = """NO 5, JALAN MAWAR 3,
47000 SUNGAI BULOH, SELANGOR
TAX INVOICE
DATE: 12/03/2018 14:22
WHITE LOAF 2 X 2.50 5.00
MILK 1 X 7.00 7.00
SUBTOTAL 12.00
TOTAL 12.00
CASH 20.00
CHANGE 8.00
"""


@pytest.mark.parametrize("first", ["SELAMAT DATANG", "GOOD MORNING", "HAPPY NEW YEAR 2018", "THANK YOU FOR COMING"])
def test_a_greeting_over_the_address_never_lands_as_the_shop_s_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                   first: str) -> None:
    """A line opening the receipt over its address block is read as the shop's name by its place
    alone. Even where a calibration puts that family above the landing threshold (a refit on the
    development receipts did: 0.995, as none of them opens with a greeting), such a name goes to a
    person; the same receipt opening with a legal name lands."""
    import json

    from pipelines.map.extract import calibration
    from pipelines.map.mapper import map_document
    from pipelines.map.rules import load_rules
    from pipelines.model.schema import load_schemas
    from pipelines.run.mapper import Mapper
    from pipelines.run.outcome import LANDED, REVIEW

    data = json.loads(calibration.FILE.read_text(encoding="utf-8"))
    data["curves"]["invoice/text/company+address+top"] = [[1.0, 0.995]]
    data["landing_threshold"] = {"invoice": 0.97}
    curves = {k: sorted((float(e), float(p)) for e, p in v) for k, v in data["curves"].items()}
    monkeypatch.setattr(calibration, "_data", lambda path: data)
    monkeypatch.setattr(calibration, "_curves", lambda path: curves)

    schemas = load_schemas(SCHEMAS)
    mapper = Mapper(schemas, load_rules(tmp_path, schemas))  # no rules: the generic extractor alone
    outcomes = {}
    for head in (first, "KOPI HOUSE SDN BHD"):
        doc = parse_bytes(f"{head}\n{BODY}".encode(), name="receipt.txt")
        result = map_document(doc, schemas, mapper.book)
        assert result.records[0].values()["issuer_name"] == head
        outcomes[head] = mapper.outcome_of(doc, result).outcome
    assert outcomes == {first: REVIEW, "KOPI HOUSE SDN BHD": LANDED}


@pytest.mark.parametrize("head, name", [
    ("THE MAPLE BEAN\n& TEA HOUSE (M) SDN. BHD.", "THE MAPLE BEAN & TEA HOUSE (M) SDN. BHD."),
    ("PASAR RAYA SRI JAYA\n(KAJANG) SDN BHD", "PASAR RAYA SRI JAYA (KAJANG) SDN BHD"),
])
def test_a_legal_name_line_opening_with_and_or_a_bracket_continues_the_line_above(
        invoice_schema: Schema, head: str, name: str) -> None:
    rec = _extract(f"{head}\n(55321-K)\n{BODY}", invoice_schema)
    assert rec.values()["issuer_name"] == name


def test_a_name_joined_to_the_line_above_is_confirmed_by_a_person(tmp_path: Path) -> None:
    """The line above may be a greeting ("GOOD DAY / & SONS HARDWARE SDN BHD"): a name joined only
    by the '&' or bracket its line opens with is never landed by itself (its family, 'joined', is
    judged by its own curve, which the development receipts are too few to fit)."""
    from pipelines.map.mapper import map_document
    from pipelines.map.rules import load_rules
    from pipelines.model.schema import load_schemas
    from pipelines.run.mapper import Mapper
    from pipelines.run.outcome import REVIEW

    schemas = load_schemas(SCHEMAS)
    mapper = Mapper(schemas, load_rules(tmp_path, schemas))
    doc = parse_bytes(f"GOOD DAY\n& SONS HARDWARE SDN BHD\n{BODY}".encode(), name="receipt.txt")
    result = map_document(doc, schemas, mapper.book)
    out = mapper.outcome_of(doc, result)
    assert out.outcome == REVIEW
    issues = [i for iss in out.issues.values() for i in iss if i.field == "issuer_name"]
    assert issues and issues[0].code == "low_confidence"


def test_a_legal_name_over_its_branch_line_heads_the_letterhead(invoice_schema: Schema, tmp_path: Path) -> None:
    """'ORCHID RETAIL SDN BHD / (612345-A) / ORCHID MART KAJANG / NO 3, JALAN ...': the branch line
    between the legal name and the address no longer takes the address block from the legal name
    (it was chosen as the issuer). Which of the two issued the receipt stays a person's call (a
    'POWERED BY ... SDN BHD' line reads the same way): the family is 'branch', never landed alone."""
    from pipelines.map.mapper import map_document
    from pipelines.map.rules import load_rules
    from pipelines.model.schema import load_schemas
    from pipelines.run.mapper import Mapper
    from pipelines.run.outcome import REVIEW

    text = f"ORCHID RETAIL SDN BHD\n(612345-A)\nORCHID MART KAJANG\n{BODY}"
    rec = _extract(text, invoice_schema)
    assert rec.values()["issuer_name"] == "ORCHID RETAIL SDN BHD"
    assert rec.values()["issuer_address"].startswith("NO 5, JALAN MAWAR 3")
    schemas = load_schemas(SCHEMAS)
    mapper = Mapper(schemas, load_rules(tmp_path, schemas))
    doc = parse_bytes(f"POWERED BY TILLSOFT SDN BHD\nKOPI HOUSE\n{BODY}".encode(), name="receipt.txt")
    result = map_document(doc, schemas, mapper.book)
    assert mapper.outcome_of(doc, result).outcome == REVIEW


@pytest.mark.parametrize("kind", ["CASH SALE", "KASSENBON", "Ticket de caisse", "CASH RECEIPT"])
def test_a_line_naming_the_kind_of_document_is_no_name(invoice_schema: Schema, kind: str) -> None:
    """A receipt opening with the kind of document in the schema's own classification words
    ('CASH SALE', 'KASSENBON'): that line is not a candidate for the shop's name, so it does not
    contest the legal name under it as a brand line does."""
    from pipelines.map.extract.engine import candidate_context

    name = "TIMBER OWL BAKERS SDN BHD"
    doc = parse_bytes(f"{kind}\n{name}\n{TAIL}".encode(), name="receipt.txt")
    ctx = candidate_context(doc, invoice_schema)
    assert ctx is not None
    assert kind not in {c.raw for c in ctx.cands["issuer_name"]}
    rec = _extract(f"{kind}\n{name}\n{TAIL}", invoice_schema)
    branded = _extract(f"OWL CORNER CAFE\n{name}\n{TAIL}", invoice_schema)
    assert rec.values()["issuer_name"] == branded.values()["issuer_name"] == name
    assert rec.fields["issuer_name"].confidence > branded.fields["issuer_name"].confidence


def test_a_name_cut_from_its_legal_form_on_the_next_line_is_no_rival(invoice_schema: Schema) -> None:
    """'TIMBER OWL BAKERS / SDN. BHD.': the line alone and the name with its legal form are one
    name, so the shorter reading is no second candidate that makes the longer one unsure (it was:
    0.62, below the landing threshold, with the same receipt read the same way)."""
    from pipelines.map.extract import calibration

    rec = _extract("RECEIPT COPY\nTIMBER OWL BAKERS\nSDN. BHD.\n(775321-K)\n" + TAIL, invoice_schema)
    assert rec.values()["issuer_name"] == "TIMBER OWL BAKERS SDN. BHD."
    assert not _conflicts(rec)
    threshold = calibration.landing_threshold("invoice")
    assert threshold is not None and rec.fields["issuer_name"].confidence >= threshold
