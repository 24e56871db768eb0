"""Receipt finders on real text files (invented shops, parsed like any inbox file): the
letterhead address, label and amount columns read apart, amounts in other roles, and the
tendered - change == total check; and the confidence calibration map."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.map.extract import calibration, extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

# OCR text of a till receipt: one box per line, the totals' labels and amounts in two runs.
COLUMNS = """PRINTED FOR LEE MEI LING
BLUE HERON HARDWARE SDN BHD
(CO. REG 774411-K)
NO. 12, LORONG KENARI 4,
TAMAN SERI INDAH,
52100 KEPONG
SELANGOR
TEL: 03-6251 7788
TAX INVOICE
RECEIPT NO : BH-20931
DATE : 14/06/2018 10:41
PAINT ROLLER 9IN
1 X 12.90
12.90
MASKING TAPE 24MM
2 X 3.50
7.00
TOTAL QTY :
3
SUBTOTAL
GST 6%
ROUNDING
TOTAL
CASH
CHANGE
18.77
1.13
0.00
19.90
50.00
30.10
THANK YOU
"""

# Totals written label then value on the next line; "TOTAL QTY" and "CASH" are not the total.
LINES = """CORNER BAKERY & CAFE
88 JALAN MERANTI
41200 KLANG
CASH BILL
NO : CB-7712
DATE: 03/09/2017
CROISSANT 2 4.80
LATTE 1 8.50
TOTAL QTY:
3
TOTAL
13.30
CASH
20.00
CHANGE
6.70
"""


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _extract(text: str, schema: Schema, name: str = "receipt.txt"):
    doc = parse_bytes(text.encode(), name=name)
    assert doc.status == "parsed"
    return doc, extract_generic(doc, schema)


def test_letterhead_name_and_address(invoice_schema: Schema) -> None:
    doc, rec = _extract(COLUMNS, invoice_schema)
    v = rec.values()
    assert v["issuer_name"] == "BLUE HERON HARDWARE SDN BHD"
    # the block under the name: registration line skipped, region line after the postcode kept
    assert v["issuer_address"] == "NO. 12, LORONG KENARI 4, TAMAN SERI INDAH, 52100 KEPONG, SELANGOR"
    ev = rec.fields["issuer_address"].evidence
    assert ev is not None and doc.text[ev.start:ev.end].startswith("NO. 12") and doc.text[ev.start:ev.end].endswith("SELANGOR")


def test_label_and_amount_columns_paired_in_order(invoice_schema: Schema) -> None:
    _, rec = _extract(COLUMNS, invoice_schema)
    v = rec.values()
    assert v["total_amount"] == Decimal("19.90")
    assert v["subtotal_amount"] == Decimal("18.77")
    assert v["tax_amount"] == Decimal("1.13")
    assert v["invoice_number"] == "BH-20931"


def test_amounts_in_other_roles_are_not_the_total(invoice_schema: Schema) -> None:
    _, rec = _extract(LINES, invoice_schema)
    v = rec.values()
    assert v["total_amount"] == Decimal("13.30")  # not the quantity 3, the cash 20.00 or the change
    assert v["issuer_name"] == "CORNER BAKERY & CAFE"
    assert v["issuer_address"] == "88 JALAN MERANTI, 41200 KLANG"


def test_payment_check_backs_the_total(invoice_schema: Schema) -> None:
    """Cash - change == total raises the total's confidence; a receipt without it is less sure."""
    _, rec = _extract(LINES, invoice_schema)
    broken = LINES.replace("6.70", "9.70")
    _, rec2 = _extract(broken, invoice_schema)
    assert rec2.values()["total_amount"] == Decimal("13.30")
    assert rec.fields["total_amount"].confidence > rec2.fields["total_amount"].confidence


def test_calibration_fit_is_monotone_and_read_back(tmp_path: Path) -> None:
    # raw scores 0.05..0.95: the share right rises with the score, with one dip the fit pools away
    obs = []
    for i, (score, right_of_ten) in enumerate([(0.15, 2), (0.35, 5), (0.55, 4), (0.75, 8), (0.95, 10)]):
        obs += [("amount", score, k < right_of_ten) for k in range(10)] * 2
    curves = calibration.fit([(f"invoice/{k}", sc, ok) for k, sc, ok in obs], min_count=10)
    probs = [p for _, p in curves["invoice/amount"]]
    assert probs == sorted(probs) and probs[-1] < 1.0  # never certain from a finite sample
    path = tmp_path / "calibration.json"
    calibration.save(curves, {"test": True}, {"invoice": 0.9}, path=path)
    assert json.loads(path.read_text())["curves"]["invoice/amount"]
    assert calibration.calibrate(0.95, "amount", "invoice", path) == probs[-1]
    assert calibration.calibrate(0.15, "amount", "invoice", path) == probs[0]
    # a finder family without its own curve keeps its raw score; so does a kind without a curve
    assert calibration.calibrate(0.95, "amount", "invoice", path, source="label") == 0.95
    assert calibration.calibrate(0.95, "date", "invoice", path) == 0.95
    assert calibration.calibrate(0.95, "amount", "contract", path) == 0.95
    assert calibration.landing_threshold("invoice", path) == 0.9
    assert calibration.landing_threshold("contract", path) is None
    with calibration.disabled():
        assert calibration.calibrate(0.42, "amount", "invoice", path) == 0.42


def test_a_small_family_is_shrunk_towards_its_kind_not_towards_a_coin_toss() -> None:
    """20 of 20 right in a family: against one right and one wrong pseudo-observation that is
    0.917; pulled towards its kind's measured 0.95 instead, 0.995. A family right 15 of 20 stays
    below its kind, and one with no prior curve keeps the coin-toss pseudo-counts."""
    kind = [[0.5, 0.6], [1.0, 0.95]]
    good = [("invoice/amount/label+pay", 0.9, True)] * 20
    bad = [("invoice/amount/label", 0.9, k < 15) for k in range(20)]
    prior = {"invoice/amount": kind}
    curves = calibration.fit(good + bad, min_count=10, prior=lambda fam: prior.get(fam.rsplit("/", 1)[0]))
    assert curves["invoice/amount/label+pay"][-1][1] == pytest.approx((20 + 2 * 0.95) / 22, abs=1e-4)
    assert curves["invoice/amount/label"][-1][1] == pytest.approx((15 + 2 * 0.95) / 22, abs=1e-4)
    plain = calibration.fit(good, min_count=10)
    assert plain["invoice/amount/label+pay"][-1][1] == pytest.approx(21 / 22, abs=1e-4)
    # the prior is read at each observation's own score: low scores borrow the kind's low rate
    low = calibration.fit([("invoice/amount/x", 0.3, True)] * 10, min_count=10, prior=lambda fam: kind)
    assert low["invoice/amount/x"][-1][1] == pytest.approx((10 + 2 * 0.6) / 12, abs=1e-4)


def test_a_family_with_more_agreements_takes_the_curve_of_its_richest_fitted_part(tmp_path: Path) -> None:
    """'label+check+pay' (too rare to fit) is judged by 'label+pay'; 'label+check' is not judged by
    the bare 'label' curve, and never by another finder's."""
    path = tmp_path / "calibration.json"
    curves = {"invoice/amount/label": [[1.0, 0.6]], "invoice/amount/label+pay": [[1.0, 0.98]],
              "invoice/amount/sum+check+pay": [[1.0, 0.99]]}
    calibration.save(curves, {"test": True}, {"invoice": 0.97}, path=path)
    assert calibration.calibrate(0.9, "amount", "invoice", path, source="label+check+pay") == 0.98
    assert calibration.calibrated("amount", "invoice", "label+check+pay", path)
    assert calibration.calibrate(0.9, "amount", "invoice", path, source="label+check") == 0.9
    assert not calibration.calibrated("amount", "invoice", "label+check", path)
    assert calibration.calibrate(0.9, "amount", "invoice", path, source="type+pay") == 0.9


def test_threshold_is_the_lowest_probability_that_is_sure_enough() -> None:
    obs = [(0.5, k % 2 == 0) for k in range(40)] + [(0.97, True)] * 60 + [(0.99, True)] * 40
    assert calibration.threshold(obs, precision=0.99) == 0.97
    assert calibration.threshold([(0.8, k % 10 != 0) for k in range(100)], precision=0.99) == 1.0


# A total whose label carries a rate, a bracketed note or a currency sign on its own line; the
# value follows on a later line, its currency sign glued to the number.
QUALIFIED = """HARBOUR LIGHT STATIONERY
4 QUAY ROAD
9021 PORT ELLEN
TEL 0123 456 789
RECEIPT
DATE 11/02/2019
NOTEBOOK A5 2 X 3.20
6.40
PEN BLACK 1 X 1.10
1.10
TOTAL INCL. VAT @20%
S$7.50
CASH
S$10.00
CHANGE
S$2.50
"""


def test_a_qualifier_after_the_label_is_not_the_value(invoice_schema: Schema) -> None:
    _, rec = _extract(QUALIFIED, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("7.50")
    # a bracketed note, then the currency sign on a line of its own between label and value
    text = QUALIFIED.replace("TOTAL INCL. VAT @20%\nS$7.50", "TOTAL (INCL. VAT)\nS$\n7.50")
    _, rec = _extract(text, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("7.50")


def test_after_a_colon_a_currency_code_is_a_value(invoice_schema: Schema) -> None:
    _, rec = _extract("ACME TRADING LTD\nINVOICE NO: A-17\nCurrency: CHF\nTotal: 120.00\n", invoice_schema)
    assert rec.values()["currency"] == "CHF"
    assert rec.values()["total_amount"] == Decimal("120.00")


# A shop whose legal name runs over two lines under its trading name, with the sale's date and
# its registration number between the name and the address; "COMPANY NO:" labels a number.
HEADER = """SUNNY LANE
SEMBILAN BAKERY
(NS) SDN BHD
12/07/2018 19:02
COMPANY NO: 104420-W
NO: 7, JALAN MELUR 3/2,
TAMAN MELUR,
70200 SEREMBAN,
NEGERI SEMBILAN, MALAYSIA
TEL: 03-7725 1180
RECEIPT NO: PB-55102
CAKE SLICE 2 X 6.50
13.00
AMOUNT DUE ......... RM
13.00
CASH
20.00
CHANGE
7.00
"""


def test_a_legal_name_over_two_lines_and_the_address_past_the_date(invoice_schema: Schema) -> None:
    _, rec = _extract(HEADER, invoice_schema)
    v = rec.values()
    # not the trading name above it, not the number after "COMPANY NO:"
    assert v["issuer_name"] == "SEMBILAN BAKERY (NS) SDN BHD"
    # date and registration lines skipped; "NO: 7," is a house number; the region line is kept
    assert v["issuer_address"] == "NO: 7, JALAN MELUR 3/2, TAMAN MELUR, 70200 SEREMBAN, NEGERI SEMBILAN, MALAYSIA"
    assert v["issue_date"] == date(2018, 7, 12)


def test_a_dotted_leader_and_a_currency_sign_after_the_label(invoice_schema: Schema) -> None:
    _, rec = _extract(HEADER, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("13.00")
    # a rate inside the label still reads as the label ("TOTAL INCL. 6% GST")
    text = HEADER.replace("AMOUNT DUE ......... RM", "TOTAL INCL. 6% GST")
    _, rec = _extract(text, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("13.00")


def test_a_house_number_is_not_the_postcode(invoice_schema: Schema) -> None:
    """The block ends at the postcode beside its town, not at a four-digit house number."""
    text = "RIVERSIDE TRADING SDN BHD\nLOT 4417 JALAN KENANGA\n68000 AMPANG\nTEL: 03-4021 7788\nTOTAL 10.00\n"
    _, rec = _extract(text, invoice_schema)
    assert rec.values()["issuer_address"] == "LOT 4417 JALAN KENANGA, 68000 AMPANG"


# A till receipt whose letterhead name is read with its legal form and the address under it.
TILL = """GREEN LEAF TRADING SDN BHD
(CO. REG 774411-K)
NO. 12, LORONG KENARI 4,
TAMAN SERI INDAH,
52100 KEPONG, SELANGOR
TEL: 03-6251 7788
RECEIPT NO : GL-20931
DATE : 14/06/2018 10:41
PAINT ROLLER 9IN 1 X 12.90
12.90
TOTAL
RM 12.90
CASH
RM 20.00
CHANGE
RM 7.10
"""


def test_sure_required_values_land_and_an_unsure_optional_one_is_left_out(tmp_path: Path) -> None:
    """The calibrated landing threshold decides: a letterhead name with its legal form and the
    address under it, a labelled date and a total that tendered - change backs land by
    themselves; the address (a letterhead reading, below the threshold) is left out of the landed
    record rather than sending it to a person. A name read less surely sends it to review."""
    from pipelines.map.mapper import map_document
    from pipelines.map.rules import load_rules
    from pipelines.model.schema import load_schemas
    from pipelines.run.mapper import Mapper
    from pipelines.run.outcome import LANDED, REVIEW

    schemas = load_schemas(SCHEMAS)
    threshold = calibration.landing_threshold("invoice")
    assert threshold is not None and threshold >= 0.9
    mapper = Mapper(schemas, load_rules(tmp_path, schemas))  # no rules: the generic extractor alone
    doc = parse_bytes(TILL.encode(), name="till.txt")
    result = map_document(doc, schemas, mapper.book)
    rec = result.records[0]
    assert rec.fields["issuer_address"].confidence < threshold <= rec.fields["total_amount"].confidence
    out = mapper.outcome_of(doc, result)
    assert out.outcome == LANDED, out.issues
    assert "issuer_address" not in rec.fields
    v = rec.values()
    assert (v["issuer_name"], v["issue_date"], v["total_amount"]) == ("GREEN LEAF TRADING SDN BHD", date(2018, 6, 14), Decimal("12.90"))
    # a person's name printed above the letterhead: the shop's name is less sure, a person confirms it
    doc = parse_bytes(("MEI LING\n" + TILL).encode(), name="till2.txt")
    result = map_document(doc, schemas, mapper.book)
    out = mapper.outcome_of(doc, result)
    assert out.outcome == REVIEW
    assert "issuer_name" in {i.field for i in out.issues[result.records[0].record_id]}


def test_tendered_minus_change_picks_the_rounded_total(invoice_schema: Schema) -> None:
    """'TOTAL' and 'TOTAL ROUNDED' both read as totals; cash - change says which one was paid."""
    text = ("HILLTOP TOOLS SDN BHD\nNO 8, LORONG SERINDIT 5,\n36700 PEKAN SERINDIT\nDATE: 11/08/2019\n"
            "TOTAL 47.23\nROUNDING ADJ +0.02\nTOTAL ROUNDED 47.25\nCASH 100.00\nCHANGE 52.75\n")
    _, rec = _extract(text, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("47.25")
    assert "conflict" not in {i.code for i in rec.issues if i.field == "total_amount"}


def _backs_the_total(text: str, payment: str, total: Decimal, schema: Schema):
    """The total read with and without the `payment` lines is the same; the payment raises its confidence."""
    _, rec = _extract(text, schema)
    _, without = _extract(text.replace(payment, ""), schema)
    assert rec.values()["total_amount"] == without.values()["total_amount"] == total
    assert rec.fields["total_amount"].confidence > without.fields["total_amount"].confidence
    return rec


def test_change_printed_without_its_leading_zero_still_backs_the_total(invoice_schema: Schema) -> None:
    """'.00' is no change given: tendered 18.60 - 0 == the total 18.60 (the payment check holds)."""
    text = ("HILLTOP TOOLS SDN BHD\nNO 8, LORONG SERINDIT 5,\n36700 PEKAN SERINDIT\nDATE: 11/08/2019\n"
            "GRAND TOTAL 18.60\nCASH 18.60\nCHANGE .00\n")
    _backs_the_total(text, "CASH 18.60\nCHANGE .00\n", Decimal("18.60"), invoice_schema)


def test_a_card_payment_without_change_backs_the_total(invoice_schema: Schema) -> None:
    """No change line: a card paying exactly one total reading backs it, and the amount on the
    card line itself is no total."""
    text = ("RIVERSIDE FUEL STATION\nLOT 4, JALAN SUNGAI 2,\n31400 IPOH\nDATE: 02/05/2019\n"
            "UNLEADED 21.30 LITRE\nTOTAL RM 48.90\nMASTERCARD RM 48.90\n")
    rec = _backs_the_total(text, "MASTERCARD RM 48.90\n", Decimal("48.90"), invoice_schema)
    ev = rec.fields["total_amount"].evidence
    assert ev is not None and text[:ev.start].splitlines()[-1].startswith("TOTAL")


def test_a_tender_with_its_amount_two_lines_down_backs_the_total(invoice_schema: Schema) -> None:
    """'CASH :' / 'RM' / '20.00': the amount after a lone colon and currency line is the tender."""
    text = ("HILLTOP TOOLS SDN BHD\nNO 8, LORONG SERINDIT 5,\n36700 PEKAN SERINDIT\nDATE: 11/08/2019\n"
            "TOTAL :\nRM\n12.40\nCASH :\nRM\n20.00\nCHANGE :\nRM\n7.60\n")
    _, rec = _extract(text, invoice_schema)
    _, broken = _extract(text.replace("7.60", "6.60"), invoice_schema)
    assert rec.values()["total_amount"] == Decimal("12.40")
    assert rec.fields["total_amount"].confidence > broken.fields["total_amount"].confidence


@pytest.mark.parametrize("line, number", [
    ("CB#: 40217", "40217"), ("BILL#: T07- 220914", "T07- 220914"),
    ("RCPT NO.50713", "50713"), ("ST:12 CTR2 ID:77 TAXINV:30561", "30561"), ("SALES NO.\n: 7702143", "7702143"),
])
def test_a_till_s_own_abbreviations_label_the_receipt_number(invoice_schema: Schema, line: str, number: str) -> None:
    text = f"HILLTOP TOOLS SDN BHD\nNO 8, LORONG SERINDIT 5,\n36700 PEKAN SERINDIT\n{line}\nDATE: 11/08/2019\nTOTAL 18.60\n"
    _, rec = _extract(text, invoice_schema)
    assert rec.values().get("invoice_number") == number


def test_a_name_that_opens_the_receipt_is_judged_as_a_header_name(invoice_schema: Schema) -> None:
    """The finder family of the shop's name says where it was printed: opening the document
    ('top'), or under something else (a customer's name), or cut short by a legal form alone on
    the next line; each is calibrated on its own."""
    from pipelines.map.extract.engine import extract_explained

    doc = parse_bytes(TILL.encode(), name="till.txt")
    _, families = extract_explained(doc, invoice_schema)
    assert "top" in families["issuer_name"].split("+")
    doc = parse_bytes(("MEI LING\n" + TILL).encode(), name="till2.txt")
    rec, families = extract_explained(doc, invoice_schema)
    assert "top" not in families["issuer_name"].split("+")
    cut = TILL.replace("GREEN LEAF TRADING SDN BHD", "GREEN LEAF TRADING\nSDN BHD", 1)
    rec, families = extract_explained(parse_bytes(cut.encode(), name="till3.txt"), invoice_schema)
    assert rec.values()["issuer_name"] != "GREEN LEAF TRADING" or "top" not in families["issuer_name"].split("+")


def test_a_legal_form_alone_on_its_line_completes_the_name_above(invoice_schema: Schema) -> None:
    text = ("HARBOUR LANTERN TRADING\nSDN BHD\n(553120-K)\nNO 8, LORONG SERINDIT 5,\n36700 PEKAN SERINDIT\n"
            "DATE: 11/08/2019\nTOTAL 18.60\n")
    _, rec = _extract(text, invoice_schema)
    assert rec.values()["issuer_name"] == "HARBOUR LANTERN TRADING SDN BHD"
    _, alone = _extract("SDN BHD\n" + text.split("\n", 2)[2], invoice_schema)  # no name above it: no name
    assert alone.values().get("issuer_name") != "SDN BHD"


# Totals labels and amounts in two blocks of different lengths: a tax-code line ("ZR") heads the
# label block, so the five amounts pair with the last five labels only if read from the end.
# Read from the start, the total would be 50.00 and nothing adds up; read from the end,
# cash - change == total and subtotal + rounding == total: the only consistent reading.
SHIFTED = """KINGFISHER STATIONERY
21 JALAN PERDANA 3
81200 JOHOR BAHRU
CASH SALE
DATE : 22/11/2018 16:05
A4 PAPER 80GSM 2 X 22.80
45.60
STAPLER REFILL
0.03
ZR
SUBTOTAL
ROUNDING ADJ
TOTAL SALES RM
CASH RM
CHANGE RM
45.63
0.02
45.65
50.00
4.35
THANK YOU
"""

# No total label at all: what was paid (cash - change) is the subtotal's amount, so it is the total.
PAID_SUBTOTAL = """LOTUS POND KOPITIAM
5 LORONG MAWAR 2
30450 IPOH
DATE : 08/01/2018 12:40
MEE GORENG 2 X 7.90
15.80
SUBTOTAL
CASH
CHANGE
RM15.80
RM20.00
RM4.20
THANK YOU
"""


def test_label_and_amount_blocks_of_different_lengths_pair_only_where_consistent(invoice_schema: Schema) -> None:
    doc, rec = _extract(SHIFTED, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("45.65")
    ev = rec.fields["total_amount"].evidence
    assert ev is not None and doc.text[ev.start:ev.end] == "45.65"
    # the same blocks where cash - change no longer gives the total: no alignment is consistent, so
    # neither the stray reading (50.00) nor the end one is taken with any confidence
    _, broken = _extract(SHIFTED.replace("4.35", "3.35"), invoice_schema)
    total = broken.fields.get("total_amount")
    threshold = calibration.landing_threshold("invoice")
    assert threshold is not None
    assert total is None or (total.value != Decimal("50.00") and total.confidence < threshold)
    assert rec.fields["total_amount"].confidence > (total.confidence if total else 0.0)


def test_paid_subtotal_is_the_total(invoice_schema: Schema) -> None:
    _, rec = _extract(PAID_SUBTOTAL, invoice_schema)
    assert rec.values()["total_amount"] == Decimal("15.80")
    # without the change line nothing says what was paid: the subtotal is not taken as the total
    _, rec2 = _extract(PAID_SUBTOTAL.replace("CHANGE\n", "").replace("RM4.20\n", ""), invoice_schema)
    assert rec2.values().get("total_amount") != Decimal("15.80") or \
        rec2.fields["total_amount"].confidence < rec.fields["total_amount"].confidence


def test_a_value_below_the_landing_threshold_says_by_how_much() -> None:
    """The review reason shows the confidence and the threshold with enough decimals to differ."""
    schema = load_schema(SCHEMAS / "invoice.yaml")
    text = "\n".join(["WILLOW LANE DELI SDN BHD", "22 JALAN PASIR, 42000 PORT KLANG", "Date: 09/07/2024",
                      "Cashier: NOOR", "Soup 1 7.90", "Sub Total 7.90", "Total Amount: ---", "CASH 20.00",
                      "CHANGE 12.10"])
    rec = extract_generic(parse_bytes(text.encode(), name="r.txt"), schema)
    below = [i.message for i in rec.issues if "calibrated landing threshold" in i.message]
    assert below
    for message in below:
        got, need = re.findall(r"\d\.\d+", message)[:2]
        assert float(got) < float(need) and got != need, message
