"""Proposing rules from corrections: label anchors, value shapes, transforms, selectors, ids, merging."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.config import Settings
from pipelines.map.rule_engine import run_rule
from pipelines.map.rules import RuleSet, load_rules
from pipelines.model.schema import load_schemas
from pipelines.map.selectors import DocView, matches
from pipelines.parse.dispatch import parse_bytes
from pipelines.review.learn import (
    Correction, LearnError, dump_yaml, propose_for_document, rule_set_dict, value_pattern,
)
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "learning_supplier"
EXPECTED = json.loads((FIX / "expected.json").read_text(encoding="utf-8"))
SCHEMAS = load_schemas(REPO / "schemas")
INVOICE = SCHEMAS["invoice"]


def parse(path: Path):
    doc = parse_bytes(path.read_bytes(), name=path.name)
    assert doc.status == "parsed"
    return doc


@pytest.fixture(scope="module")
def docs() -> dict:
    return {p.name: parse(p) for p in sorted(FIX.glob("kestrel_0[1-4].pdf"))}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(MAPPINGS, tmp_path / "mappings")
    return Settings(kb_root=tmp_path / "kb", schemas_dir=REPO / "schemas", mappings_dir=tmp_path / "mappings", workers=0)


def span(doc, text: str) -> tuple[int, int]:
    i = doc.text.index(text)
    assert doc.text.find(text, i + 1) < 0
    return i, i + len(text)


@pytest.mark.parametrize("raw, pattern, matches_, not_matches", [
    ("INV-00417", r"(?<![\w/])INV-\d+(?![\w/])", ["INV-12", "ref INV-998877 x"], ["XNV-12", "INV-"]),
    ("KFC/26/0403", r"(?<![\w/])KFC/\d+/\d+(?![\w/])", ["KFC/26/00448"], ["KFC/26"]),
    # one letter is too little to call a constant prefix: the next customer may be Q04107
    ("K04100", r"(?<![\w/])[A-Z]+\d+(?![\w/])", ["K04107", "Q04107"], ["k04107", "04107"]),
])
def test_value_pattern_generalises_digits_and_keeps_a_constant_prefix(raw, pattern, matches_, not_matches) -> None:
    import re

    assert value_pattern(raw) == pattern
    for s in matches_:
        assert re.search(pattern, s), s
    for s in not_matches:
        assert not re.search(pattern, s), s


def test_value_pattern_none_for_words() -> None:
    assert value_pattern("Severn Vale Water Ltd") is None


def test_selected_values_become_anchor_rules_that_reproduce(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    cs = [Correction("invoice_number", "KFC/26/0403", *span(doc, "KFC/26/0403")),
          Correction("total_amount", "1,748.76", *span(doc, "1,748.76")),
          Correction("due_date", "02/15/26", *span(doc, "02/15/26"))]
    cand = propose_for_document(settings, doc, "invoice", cs)
    assert not cand.skipped
    num = cand.rule_set.fields["invoice_number"][0]
    assert num.anchor is not None and num.anchor.labels == ["Document ref"] and num.anchor.direction == "right"
    assert num.pattern == r"(?<![\w/])KFC/\d+/\d+(?![\w/])"
    total = cand.rule_set.fields["total_amount"][0]
    assert total.anchor is not None and total.anchor.labels == ["Balance to settle GBP"]
    due = cand.rule_set.fields["due_date"][0]
    assert due.transforms == [{"date_format": "%m/%d/%y"}]  # month first, pinned by 02/15/26
    for f, rules in cand.rule_set.fields.items():
        fv = run_rule(rules[0], INVOICE.fields[f], doc)
        assert fv is not None and str(fv.value) == {"invoice_number": "KFC/26/0403", "total_amount": "1748.76",
                                                    "due_date": "2026-02-15"}[f]
        assert rules[0].examples, f  # an inline example `mapper rules test` runs
        assert rules[0].provenance["learned_from"] == "correction"


def test_rules_generalise_to_other_documents_of_the_layout(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    truth = EXPECTED["kestrel_01.pdf"]
    fields = ["invoice_number", "issue_date", "due_date", "customer_name", "customer_account", "tax_amount",
              "total_amount", "issuer_tax_id", "issuer_name"]
    cand = propose_for_document(settings, doc, "invoice", [Correction(f, str(truth[f])) for f in fields])  # typed
    assert not cand.skipped
    for name in ("kestrel_02.pdf", "kestrel_03.pdf", "kestrel_04.pdf"):
        other = docs[name]
        for f in fields:
            fv = run_rule(cand.rule_set.fields[f][0], INVOICE.fields[f], other)
            assert fv is not None and str(fv.value) == str(EXPECTED[name][f]), (name, f, fv)


def test_ambiguous_us_dates_read_month_first(docs: dict, settings: Settings) -> None:
    """03/06/26 is 6 March for this supplier: the unambiguous 01/16/26 of the first document pins it."""
    doc = docs["kestrel_01.pdf"]
    cand = propose_for_document(settings, doc, "invoice", [Correction("issue_date", "2026-01-16")])
    rule = cand.rule_set.fields["issue_date"][0]
    text = "Invoice\tRaised on\t03/06/26\n"
    fv = run_rule(rule, INVOICE.fields["issue_date"], parse_bytes(text.encode(), name="x.txt"))
    assert fv is not None and fv.value.isoformat() == "2026-03-06"


def test_selector_is_the_suppliers_identity_not_the_page(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    cand = propose_for_document(settings, doc, "invoice", [Correction("issuer_name", "Kestrel Flow Controls Ltd")])
    sel = cand.rule_set.match
    assert sel.keywords == ["KESTREL FLOW CONTROLS LTD"] and sel.layout is None and sel.media_types == ["application/pdf"]
    assert all(matches(sel, DocView(d)) for d in docs.values())
    other = parse(REPO / "data_samples" / "invoices" / "hartwell_118204.pdf")
    assert not matches(sel, DocView(other))
    assert cand.rule_set.use_generic and cand.rule_set.priority > 60


def test_candidate_ids_are_stable(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    a = propose_for_document(settings, doc, "invoice", [Correction("invoice_number", "KFC/26/0403")])
    b = propose_for_document(settings, doc, "invoice", [Correction("invoice_number", "KFC/26/0403")])
    c = propose_for_document(settings, doc, "invoice", [Correction("customer_account", "K04100")])
    assert a.id == b.id != c.id
    assert a.id.startswith("learned-invoice-kestrel-flow-controls-ltd-")


def test_value_not_in_the_document_proposes_nothing(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    with pytest.raises(LearnError, match="invoice_number"):
        propose_for_document(settings, doc, "invoice", [Correction("invoice_number", "ZZ-999999")])
    cand = propose_for_document(settings, doc, "invoice", [Correction("invoice_number", "KFC/26/0403"),
                                                           Correction("customer_account", "NOPE-1")])
    assert [s["field"] for s in cand.skipped] == ["customer_account"]


def test_yaml_form_loads_as_rules(docs: dict, settings: Settings) -> None:
    doc = docs["kestrel_01.pdf"]
    cand = propose_for_document(settings, doc, "invoice", [Correction("invoice_number", "KFC/26/0403"),
                                                           Correction("issue_date", "2026-01-16")])
    text = dump_yaml(rule_set_dict(cand.rule_set))
    assert RuleSet.model_validate(yaml.safe_load(text)).fields.keys() == cand.rule_set.fields.keys()
    (settings.mappings_dir / "learned").mkdir()
    (settings.mappings_dir / "learned" / f"{cand.id}.yaml").write_text(text, encoding="utf-8")
    book = load_rules(settings.mappings_dir, SCHEMAS)
    ids = [r.id for r in book.rule_sets]  # ranked above the shipped supplier rule sets
    assert ids.index(cand.id) < min(ids.index(r.id) for r in book.rule_sets if "/suppliers/" in r.source_file)


def test_a_new_correction_extends_the_learned_rule_set_for_the_same_source(docs: dict, settings: Settings) -> None:
    first = propose_for_document(settings, docs["kestrel_01.pdf"], "invoice", [Correction("invoice_number", "KFC/26/0403")])
    (settings.mappings_dir / "learned").mkdir()
    path = settings.mappings_dir / "learned" / f"{first.id}.yaml"
    path.write_text(dump_yaml(rule_set_dict(first.rule_set)), encoding="utf-8")
    doc2 = docs["kestrel_02.pdf"]
    second = propose_for_document(settings, doc2, "invoice", [Correction("customer_account", EXPECTED["kestrel_02.pdf"]["customer_account"])])
    assert second.id == first.id and second.merged_into == str(path)
    assert set(second.rule_set.fields) == {"invoice_number", "customer_account"}


def test_a_document_claimed_by_a_shipped_rule_set_keeps_its_rules(settings: Settings) -> None:
    """Correcting a Hartwell invoice: the learned rule set outranks supplier-hartwell for that
    layout, so it carries Hartwell's rules along (as fallbacks behind the learned one)."""
    from pipelines.map.mapper import map_document
    from pipelines.review.backtest import book_with

    doc = parse(REPO / "data_samples" / "invoices" / "hartwell_118204.pdf")
    i = doc.text.index("SEVV-0042")
    cand = propose_for_document(settings, doc, "invoice", [Correction("customer_account", "SEVV-0042", i, i + 9)])
    assert cand.rule_set.provenance == {"extends": "supplier-hartwell"}
    acct = cand.rule_set.fields["customer_account"]
    assert acct[0].provenance["learned_from"] == "correction" and acct[1].provenance == {"copied_from": "supplier-hartwell"}
    assert acct[0].priority > acct[1].priority
    book = book_with(settings, SCHEMAS, cand)
    for name in ("hartwell_118204.pdf", "hartwell_118391.pdf"):
        other = parse(REPO / "data_samples" / "invoices" / name)
        rec = map_document(other, SCHEMAS, book).records[0]
        assert rec.rule_set == cand.id
        assert rec.fields["issuer_name"].value == "Hartwell Chemical Supplies Ltd"
        assert rec.fields["issuer_name"].rule_id == f"{cand.id}.hartwell.issuer_name"


def test_emails_are_selected_by_sender_domain(settings: Settings) -> None:
    doc = parse(REPO / "data_samples" / "emails" / "2026-01-12_marlow-brewing_discoloured-water.eml")
    i = doc.text.index("SVW-118734")
    cand = propose_for_document(settings, doc, "support_case", [Correction("account_number", "SVW-118734", i, i + 10)])
    assert cand.rule_set.match.sender_domains == ["marlowbrewing.example.co.uk"]
    assert cand.rule_set.match.layout is None and "marlowbrewing" in cand.id
    rule = cand.rule_set.fields["account_number"][0]
    fv = run_rule(rule, SCHEMAS["support_case"].fields["account_number"], doc)
    assert fv is not None and fv.value == "SVW-118734"
