"""Labels are looked for only where their first word is: the same matches as a scan of the whole text."""

from __future__ import annotations

import pytest

from pipelines.map.extract.labels import label_pattern, match_labels, suppress_contained, LabelMatch
from pipelines.parse.dispatch import parse_bytes

LABELS = ["Factuurnummer", "Invoice No.", "Total", "Total incl. GST", "Date", "Due Date", "N° facture",
          "Rechnungsdatum", "Sub Total", "# of items", "2ndParty Ref"]

TEXTS = [
    "F actuurnummer: 2024-17\nFactuurnummer 18\nINVOICE NO 7 / Invoice no. 8",
    "Subtotal 10.00\nxTotal 1.00\nTOTAL INCL. 6% GST 12.00\nTotal: 5\ntotal total total",
    "Date 01.02.2024 Due Date 03.02.2024 DUE  DATE 4 Datum",
    "N° facture : 12 — Nº facture 13 — No facture 14 — # of items 3",
    "İstanbul Rechnungsdatum 02.03.2024 TOTAL 9,00",  # 'İ'.lower() is two characters: whole-text scan
    "2ndParty Ref: 17 / 2NDPARTY REF 18 / x2ndParty Ref 19",  # a first word opening with a digit is never split
]


def _reference(doc, labels):
    found = []
    for label in dict.fromkeys(labels):
        pat = label_pattern(label)
        for m in pat.finditer(doc.text) if pat is not None else ():
            found.append(LabelMatch(m.start(), m.end(), label, None, 0.0))
    return [(m.start, m.end, m.label) for m in suppress_contained(found)]


@pytest.mark.parametrize("text", TEXTS)
def test_anchored_scan_finds_what_a_whole_text_scan_finds(text):
    doc = parse_bytes(text.encode(), name="labels.txt")
    got = [(m.start, m.end, m.label) for m in match_labels(doc, LABELS)]
    assert got == _reference(doc, LABELS)
    assert got  # every text holds some label


def test_split_initial_capital_and_word_boundaries():
    doc = parse_bytes(TEXTS[0].encode() + b"\nxFactuurnummer 19", name="labels.txt")
    spans = [doc.text[m.start:m.end] for m in match_labels(doc, ["Factuurnummer"])]
    assert spans == ["F actuurnummer", "Factuurnummer"]
