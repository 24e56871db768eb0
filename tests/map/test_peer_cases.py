"""Peer cases: real invoices with the invoice2data tool's expected outputs (../shared/peer_cases).

Scored twice with the evaluator: generic only (the shipped mappings minus
`mappings/peer_vendors/`, none of which claim these vendors) and coached (all of `mappings/`,
with one reviewer-written rule set per vendor). Each run is scored on

* the peer folder as it is (`compare/`: 11 PDFs, Orlen.txt and 4 PNG renderings). The PNGs have
  no text layer and are read by OCR (a line OCR loses is missed); a few peer values are
  template artefacts (see CHECKED) or a brand where the document names its legal issuer;
* the 12 text documents with the peer values checked against what the document says
  (CHECKED): the number the coached rules are held to (>= 0.95).

The shared folder sits beside the repository in CI; if it is missing the tests fail.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.evaluate import PEER_FIELDS, FieldScore, Report, evaluate_paths, format_report
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
COMPARE = Path(__file__).resolve().parents[2].parent / "shared" / "peer_cases" / "invoice2data" / "compare"

DOCUMENTS = ["AmazonWebServices.pdf", "AzureInterior.pdf", "FlipkartInvoice.pdf", "NetpresseInvoice.pdf",
             "Orlen.txt", "QualityHosting.pdf", "SammyMaystoneLinesTest.pdf", "coolblue1.pdf", "coolblue2.pdf",
             "free_fiber.pdf", "oyo.pdf", "saeco.pdf"]

# Peer values that disagree with the document, and what the document says (peer key -> value).
CHECKED: dict[str, dict[str, object]] = {
    # invoice2data's Orlen template cuts the number at the first space: "Faktura nr: F 1234K20/1234/12".
    "Orlen.txt": {"invoice_number": "F 1234K20/1234/12"},
    # The invoice is issued by the seller, "Sold By : WS Retail Services Pvt. Ltd."; Flipkart is the
    # marketplace it was "Ordered Through". The invoice number keeps its printed "#".
    "FlipkartInvoice.pdf": {"issuer": "WS Retail Services Pvt. Ltd.", "invoice_number": "#BLR_WFLD20151000982590"},
    # "Sammy Maystone - For Lines testing" is the peer template's name; the invoice says "Sammy Maystone".
    # The peer template extracts no amount; the invoice says "Total:   $127.50".
    "SammyMaystoneLinesTest.pdf": {"issuer": "Sammy Maystone", "amount": 127.50},
}

# Floors. Generic-only is what the generic extractor reached on 2026-11-25 minus a margin (it
# is being worked on; raise these as it improves). Coached is the target for reviewer rules.
GENERIC_CHECKED_FLOOR = 0.85  # measured 2026-12-08: 54/60 = 0.900 recall, 54/59 = 0.915 precision
GENERIC_AS_IS_FLOOR = 0.75  # measured 2026-12-08: 63/78 = 0.808 recall (PNGs read by OCR, peer values unchanged)
COACHED_CHECKED_FLOOR = 0.95  # measured 59/59
COACHED_AS_IS_FLOOR = 0.55  # measured 45/78 = 0.577 recall: 59 text-document values less 14 in
#                             the three documents whose key the peer gets wrong, of 78 incl. PNGs


def _settings(mappings: Path) -> Settings:
    return Settings(kb_root=ROOT / "kb-unused", schemas_dir=ROOT / "schemas", mappings_dir=mappings, workers=0)


@pytest.fixture(scope="module")
def generic_mappings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped mappings without the peer vendors' rule sets."""
    target = tmp_path_factory.mktemp("mappings") / "mappings"
    shutil.copytree(MAPPINGS, target, ignore=shutil.ignore_patterns("peer_vendors"))
    assert not (target / "peer_vendors").exists()
    return target


@pytest.fixture(scope="module")
def checked_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 12 text documents with their peer JSON, corrected where the document says otherwise."""
    assert COMPARE.is_dir(), f"peer cases not found at {COMPARE} (CI keeps ../shared beside the repository)"
    target = tmp_path_factory.mktemp("peer_checked")
    for name in DOCUMENTS:
        src = COMPARE / name
        assert src.is_file(), f"missing peer case {src}"
        shutil.copy2(src, target / name)
        golden = json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))
        for item in golden:
            item.update(CHECKED.get(name, {}))
        (target / name).with_suffix(".json").write_text(json.dumps(golden, ensure_ascii=False), encoding="utf-8")
    return target


def _accuracy(sc: FieldScore) -> float:
    """Correct values over expected values (recall); wrong values also count against precision."""
    return sc.recall


def _show(title: str, report: Report) -> str:
    text = f"== {title}\n{format_report(report)}"
    print(text)
    return text


def _assert_floor(report: Report, floor: float, text: str, *, per_field: float | None = None) -> None:
    overall = report.schema_score("invoice")
    assert _accuracy(overall) >= floor, text
    assert overall.precision >= floor, text
    if per_field is not None:
        for field in PEER_FIELDS.values():
            sc = report.fields[("invoice", field)]
            assert _accuracy(sc) >= per_field, f"{field}: {sc}\n{text}"


def test_peer_folder_is_there():
    assert COMPARE.is_dir(), f"peer cases not found at {COMPARE} (CI keeps ../shared beside the repository)"
    for name in DOCUMENTS:
        assert (COMPARE / name).is_file(), name
        assert (COMPARE / name).with_suffix(".json").is_file(), name


def test_generic_only_on_checked_values(generic_mappings: Path, checked_corpus: Path):
    report = evaluate_paths([str(checked_corpus)], _settings(generic_mappings))
    text = _show("generic only, checked values (12 text documents)", report)
    assert report.documents == len(DOCUMENTS) + 1  # AzureInterior.pdf embeds its UBL invoice XML (a child document)
    _assert_floor(report, GENERIC_CHECKED_FLOOR, text)


def test_generic_only_on_peer_folder_as_is(generic_mappings: Path):
    report = evaluate_paths([str(COMPARE)], _settings(generic_mappings))
    text = _show("generic only, peer folder as is (incl. PNGs, peer values unchanged)", report)
    assert _accuracy(report.schema_score("invoice")) >= GENERIC_AS_IS_FLOOR, text


def test_coached_on_checked_values(checked_corpus: Path):
    report = evaluate_paths([str(checked_corpus)], _settings(MAPPINGS))
    text = _show("coached (mappings/ incl. peer_vendors/), checked values (12 text documents)", report)
    assert report.documents == len(DOCUMENTS) + 1  # AzureInterior.pdf embeds its UBL invoice XML (a child document)
    _assert_floor(report, COACHED_CHECKED_FLOOR, text, per_field=COACHED_CHECKED_FLOOR)


def test_coached_on_peer_folder_as_is():
    report = evaluate_paths([str(COMPARE)], _settings(MAPPINGS))
    text = _show("coached, peer folder as is (incl. PNGs, peer values unchanged)", report)
    assert _accuracy(report.schema_score("invoice")) >= COACHED_AS_IS_FLOOR, text
    # Every miss is a PNG (no OCR) or one of the documents whose peer values CHECKED corrects.
    known = {Path(n).stem for n in CHECKED}
    for line in report.mismatches:
        doc = line.split()[0]
        assert doc.endswith(".png") or Path(doc).stem in known, line


def test_each_peer_document_is_claimed_by_its_vendor_rule_set(checked_corpus: Path):
    """The vendor rule sets select by what the documents say, one rule set per vendor."""
    from pipelines.parse.run import parse_files
    from pipelines.run.mapper import Mapper

    mapper = Mapper.from_dirs(ROOT / "schemas", MAPPINGS)
    claimed = {}
    for doc in parse_files([checked_corpus / n for n in DOCUMENTS], workers=0):
        records = [r for oc in mapper.outcomes(doc) for r in oc.records]
        assert len(records) == 1, doc.name
        claimed[doc.name] = records[0].rule_set
    # AzureInterior.pdf carries its invoice as an embedded UBL XML: the XML is read, not the page
    assert claimed.pop("AzureInterior.pdf") == "einvoice_ubl"
    assert all(rs and rs.startswith("peer-") for rs in claimed.values()), claimed
    assert claimed["coolblue1.pdf"] == claimed["coolblue2.pdf"]
    assert len(set(claimed.values())) == len(DOCUMENTS) - 2, claimed
