"""Evidence from the totals box that a total is the total (pipelines/map/extract/corroborate.py),
on invented receipts parsed like any inbox file: the printed rounding between the unrounded and
the payable total, parts printed above the total that add up to it, and the tax a total includes
at a printed rate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.map.extract import calibration
from pipelines.map.extract.engine import extract_explained
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
HEAD = "KESTREL HOME SUPPLIES SDN BHD\nNO 21, JALAN MURAI 3,\n47300 PETALING JAYA\nDATE: 19/03/2019\n"

# one OCR box per line; no tender, so only the rounding line says which total was paid
ROUNDED = HEAD + """DOOR HINGE 2 X 4.60
9.20
WOOD GLUE
1.50
SANDPAPER
1.67
TOTAL AMOUNT: 12.37
TAX @0%: 0.00
ROUNDING: -0.02
NETT TOTAL: 12.35
THANK YOU
"""

# the box's parts are no subtotal or tax label of the schema, but they add up to the total
PARTS = HEAD + """STANDARD-RATED SUPPLIES (EXCL. TAX):
38.00
TAX 6%:
2.28
STANDARD-RATED SUPPLIES (INCL. TAX):
40.28
ZERO-RATED SUPPLIES:
6.50
TOTAL PAYABLE:
46.78
GOODS RECEIVED IN GOOD ORDER
"""


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _total(text: str, schema: Schema) -> tuple[Decimal, float, str]:
    doc = parse_bytes(text.encode(), name="receipt.txt")
    assert doc.status == "parsed"
    rec, finders = extract_explained(doc, schema)
    fv = rec.fields["total_amount"]
    return fv.value, fv.confidence, finders["total_amount"]


def test_the_printed_rounding_picks_the_payable_total(invoice_schema: Schema) -> None:
    """'TOTAL AMOUNT 12.37' is the stronger label; 12.37 - 0.02 printed below it is what is paid."""
    value, _, family = _total(ROUNDED, invoice_schema)
    assert value == Decimal("12.35")
    assert "check" in family.split("+")
    # without the rounding line nothing says 12.37 was rounded: the stronger label wins
    value, _, family = _total(ROUNDED.replace("ROUNDING: -0.02\n", ""), invoice_schema)
    assert value == Decimal("12.37")
    assert "check" not in family.split("+")


def test_an_unrounded_amount_printed_below_is_not_the_rounded_total(invoice_schema: Schema) -> None:
    """A tax summary repeating 12.37 after 'NETT TOTAL 12.35' does not make 12.37 the rounded one:
    the rounding must sit between the unrounded amount and the total."""
    text = ROUNDED.replace("THANK YOU\n", "TAX SUMMARY\nAMOUNT\n12.37\nTHANK YOU\n")
    value, _, _ = _total(text, invoice_schema)
    assert value == Decimal("12.35")


def test_parts_that_add_up_back_the_total(invoice_schema: Schema) -> None:
    """40.28 + 6.50 == 46.78 backs 'TOTAL PAYABLE'; the same receipt whose parts do not add up
    reads the same total with less confidence and without the agreement."""
    value, conf, family = _total(PARTS, invoice_schema)
    assert value == Decimal("46.78")
    assert "check" in family.split("+")
    value2, conf2, family2 = _total(PARTS.replace("6.50", "6.90"), invoice_schema)
    assert value2 == Decimal("46.78")
    assert "check" not in family2.split("+")
    assert conf > conf2


# a tax summary under the totals: its "TOTAL" is the net amount, with the tax beside it
SUMMARY = HEAD + """TOTAL AMT PAYABLE:
18.00
CASH
20.00
CHANGE
2.00
TAX SUMMARY
AMOUNT
TAX
SR @ 6%
16.98
1.02
TOTAL
16.98
1.02
"""


def test_a_tax_summary_s_net_total_does_not_contest_the_total(invoice_schema: Schema) -> None:
    """16.98 + the tax 1.02 printed beside it == 18.00: the summary's 'TOTAL' is the net, so the
    total payable is surer than on the same receipt whose summary does not add up to it."""
    value, conf, _ = _total(SUMMARY, invoice_schema)
    assert value == Decimal("18.00")
    value2, conf2, _ = _total(SUMMARY.replace("1.02", "1.12"), invoice_schema)
    assert value2 == Decimal("18.00")
    assert conf > conf2


# a deduction printed after the total, then what remains to pay (invented shop and amounts)
DEDUCTED = """WILLOWBANK HARDWARE SDN BHD
NO 3, JALAN MELATI 7,
43200 CHERAS, SELANGOR
INVOICE NO: WB-7731
INVOICE DATE: 14/05/2025
PAINT BRUSH 2IN          31.00
MASKING TAPE             19.00
TOTAL                    50.00
LOYALTY VOUCHER          -5.00
{label:<25}45.00
"""
WITHOUT_DEDUCTION = "\n".join(DEDUCTED.splitlines()[:8]) + "\n"


def test_a_total_followed_by_a_deduction_and_what_remains_is_not_sure(invoice_schema: Schema) -> None:
    """The amount above a discount or voucher is not what is payable: whichever label the
    remainder has, the total read above it stays below the landing threshold, as the items that
    add up to it no longer vouch for it; without the deduction the same total is sure."""
    threshold = calibration.landing_threshold("invoice")
    assert threshold is not None
    for label in ("AMOUNT PAYABLE", "NET TOTAL", "PLEASE PAY", "BALANCE"):
        value, conf, _ = _total(DEDUCTED.format(label=label), invoice_schema)
        assert value == Decimal("45.00") or conf < threshold, label
    value, conf, _ = _total(WITHOUT_DEDUCTION, invoice_schema)
    assert value == Decimal("50.00") and conf >= threshold


def test_line_items_completed_as_subtotal_and_tax_back_nothing(invoice_schema: Schema) -> None:
    """Two items that add up to the total are no subtotal and tax: the sum finder may propose
    them, but they are found by the sum check itself, so it tags nothing and raises nothing."""
    rec, sources = extract_explained(parse_bytes(WITHOUT_DEDUCTION.encode(), name="r.txt"), invoice_schema)
    for name in ("subtotal_amount", "tax_amount"):
        fv = rec.fields.get(name)
        assert fv is None or (fv.confidence < invoice_schema.min_confidence and "check" not in sources.get(name, "")), name


# a lone total label: no tender, no subtotal; the tax the total holds is printed with its rate
INCLUDED = HEAD + """KETTLE 1.7L
42.40
TOTAL:
42.40
*PRICES INCLUDE GST @ 6%
GST INCLUDED:
2.40
THANK YOU
"""


def test_the_tax_a_total_includes_at_the_printed_rate_backs_it(invoice_schema: Schema) -> None:
    """42.40 x 6/106 == 2.40 printed: the total agrees with the tax and its rate. The same receipt
    whose tax is not that share (or with no rate printed) reads the same total less surely."""
    value, conf, family = _total(INCLUDED, invoice_schema)
    assert value == Decimal("42.40")
    assert "check" in family.split("+")
    for other in (INCLUDED.replace("\n2.40\n", "\n2.50\n"), INCLUDED.replace("*PRICES INCLUDE GST @ 6%\n", "")):
        value2, conf2, family2 = _total(other, invoice_schema)
        assert value2 == Decimal("42.40")
        assert "check" not in family2.split("+")
        assert conf > conf2


def test_the_included_tax_is_read_with_decimal_commas(invoice_schema: Schema) -> None:
    """A bakery's receipt with decimal commas and no net amount: 11,90 x 19/119 == 1,90."""
    text = ("Bäckerei Lindenhof GmbH\nMühlweg 4\n79098 Freiburg\nDatum: 14.05.2025\n"
            "Roggenbrot 1 x 4,50\nKuchen 2 x 3,70\nGesamtsumme:\n11,90\nenthaltene MwSt 19 %:\n1,90\n")
    value, _, family = _total(text, invoice_schema)
    assert value == Decimal("11.90")
    assert "check" in family.split("+")
    value, _, family = _total(text.replace("19 %", "7 %"), invoice_schema)
    assert value == Decimal("11.90")
    assert "check" not in family.split("+")


def test_a_tax_two_total_readings_both_hold_backs_neither(invoice_schema: Schema) -> None:
    """42.41 and the 42.40 paid (cash - change) both hold 2.40 at 6%: the tax says nothing about
    which one is the total, so neither gains the agreement."""
    text = INCLUDED.replace("TOTAL:\n42.40\n", "TOTAL:\n42.41\nCASH\n50.00\nCHANGE\n7.60\n")
    doc = parse_bytes(text.encode(), name="receipt.txt")
    _rec, finders = extract_explained(doc, invoice_schema)
    assert "check" not in finders["total_amount"].split("+")


# the till rounds the tax per line (2 x 0.42): the tax summary's 0.84 is not the total's share (0.85)
SUMMARY_ROW = HEAD + """SOAP BAR 2 X 7.50
15.00
TOTAL SALES INCL GST:
15.00
CASH
20.00
ITEM COUNT 2
GST SUMMARY
AMOUNT
TAX
SR @ 6%
14.16
0.84
"""


def test_a_tax_summary_row_that_adds_up_to_the_total_backs_it(invoice_schema: Schema) -> None:
    """14.16 + 0.84 == 15.00, and 0.84 is 6% of 14.16 to the cent: the row backs the total. A row
    whose tax is not the rate of its net (0.94) backs nothing."""
    value, conf, family = _total(SUMMARY_ROW, invoice_schema)
    assert value == Decimal("15.00")
    assert "check" in family.split("+")
    value2, conf2, family2 = _total(SUMMARY_ROW.replace("14.16\n0.84", "14.06\n0.94"), invoice_schema)
    assert value2 == Decimal("15.00")
    assert "check" not in family2.split("+")
    assert conf > conf2


def test_a_long_list_of_totals_is_read_in_time_linear_in_its_length(invoice_schema: Schema) -> None:
    """Thousands of lines each with a tax rate, a tax and a 'TOTAL' (a long statement, or a crafted
    file): the totals box's checks compared every reading with every other and every printed
    amount, a minute for 4,000 lines and hours for a large file; one document must not hold up
    the batch. Ten times the lines may take at most about ten times as long."""
    import time

    def lines(n: int) -> str:
        return HEAD + "".join(f"ITEM {i}  GST 6%  {i % 97 + 1}.{i % 100:02d}  TOTAL {i % 89 + 2}.{i % 100:02d}\n"
                              for i in range(n))

    def seconds(n: int) -> float:
        doc = parse_bytes(lines(n).encode(), name="statement.txt")
        t = time.process_time()
        extract_explained(doc, invoice_schema)
        return time.process_time() - t

    seconds(50)  # warm caches
    small, large = seconds(400), seconds(4000)
    assert large < 20 * small + 1.0, (small, large)


def test_a_file_run_into_one_line_is_read_in_time(invoice_schema: Schema) -> None:
    """A text whose line breaks are lost (one line of a few hundred tax and total readings): the
    in-row sum check tried every triple of the line's amounts, cubic (40 s for 1,000 amounts, hours
    for a large file). A totals row has a dozen amounts; a line of hundreds is none."""
    import time

    text = "INVOICE Invoice No: X-1 Invoice Date: 03/04/2026 " + " ".join(
        f"GST 6% {i % 97 + 1}.{i % 100:02d} TOTAL {i % 89 + 2}.{i % 100:02d}" for i in range(500))
    doc = parse_bytes(text.encode(), name="oneline.txt")
    t = time.process_time()
    extract_explained(doc, invoice_schema)
    assert time.process_time() - t < 10.0


def test_the_amounts_of_one_long_line_are_weighed_in_time_linear_in_it(invoice_schema: Schema) -> None:
    """A text whose line breaks are lost, with thousands of amounts on its one line: each amount's
    role was judged by reading the whole line again (60,000 amounts: minutes). Twenty times the
    amounts may take at most about twenty times as long."""
    import time

    def seconds(n: int) -> float:
        text = "Invoice No: A-1 Date: 2026-01-05 Total: 12.50 " + " ".join(
            f"item{i} {i % 997 + 1}.{i % 89 + 10}" for i in range(n))
        doc = parse_bytes(text.encode(), name="oneline.txt")
        t = time.process_time()
        extract_explained(doc, invoice_schema)
        return time.process_time() - t

    seconds(50)  # warm caches
    small, large = seconds(300), seconds(6000)
    assert large < 20 * small + 0.5, (small, large)
