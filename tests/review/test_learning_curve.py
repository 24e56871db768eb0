"""The learning curve: a supplier layout the shipped rules do not know is automated by the
corrections on its first document.

Kestrel Flow Controls (tests/fixtures/learning_supplier, from
scripts/make_samples/learning_supplier.py): the first invoice goes to review; a reviewer
corrects its wrong or missing fields (one correction each) and accepts the rest; the proposed
rule set is backtested and promoted into a copy of mappings/. The other 11 invoices then land
with no review, with the true values and provenance pointing at the learned rules, and
previously landed invoices of other suppliers come out exactly as before.

Run with -s to see the figure; it is also written to <tmp>/learning_curve.json.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.land.kb import KnowledgeBase
from pipelines.map.rule_examples import run_examples
from pipelines.map.rules import load_rules
from pipelines.model.schema import load_schemas
from pipelines.review import actions
from pipelines.review.backtest import backtest, canon
from pipelines.review.documents import load_document
from pipelines.review.learn import propose
from pipelines.review.promote import promote
from pipelines.review.store import ReviewStore

from tests.review.conftest import run_stages
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "learning_supplier"
OTHERS = [REPO / "data_samples" / "invoices" / n for n in (
    "aquaflow_0142.pdf", "brunel_24190.pdf", "cotswold_labs_58213.pdf", "hartwell_118204.pdf",
    "pinnacle_10388.pdf", "rheinhydro_00417.pdf", "rheinhydro_00533.pdf")]
SCALARS = ["invoice_number", "issue_date", "due_date", "issuer_name", "issuer_tax_id", "customer_name",
           "customer_account", "currency", "subtotal_amount", "tax_amount", "total_amount"]


run_batch = run_stages


def kb_rows(settings: Settings, paths: list[Path]) -> dict[str, dict]:
    """Landed invoice rows by file name."""
    want = {p.name for p in paths}
    rows = KnowledgeBase(settings.kb_root).read("invoice").to_pylist()
    return {Path(r["source_path"]).name: r for r in rows if Path(r["source_path"]).name in want}


def printed(doc_text: str, field: str, value: str) -> tuple[int, int] | None:
    """Where a reviewer would select the value: its printed form in the document."""
    forms = [value]
    if field.endswith("_date"):
        forms.insert(0, dt.date.fromisoformat(value).strftime("%m/%d/%y"))
    if field.endswith("_amount"):
        forms.insert(0, f"{Decimal(value):,.2f}")
    for form in forms:
        i = doc_text.find(form)
        if i >= 0 and doc_text.find(form, i + 1) < 0:
            return i, i + len(form)
    return None


@pytest.fixture(scope="module")
def curve(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("learning")
    shutil.copytree(MAPPINGS, tmp / "mappings")
    settings = Settings(kb_root=tmp / "kb", schemas_dir=REPO / "schemas", mappings_dir=tmp / "mappings", workers=0)
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    kestrel = sorted(FIXTURES.glob("kestrel_*.pdf"))
    first, rest = kestrel[0], kestrel[1:]

    # 1. other suppliers' invoices and the new supplier's first document
    run_batch(settings, OTHERS + [first], "b1-before")
    before = kb_rows(settings, OTHERS)
    store = ReviewStore(settings.kb_root)
    items = store.items(source=first.name)
    assert len(items) == 1, "the unknown layout's first document goes to review"
    item = items[0]

    # 2. the reviewer corrects what is wrong or missing, once per field, and vouches for the rest
    doc = load_document(settings, item.document_id)
    truth = expected[first.name]
    schema = load_schemas(settings.schemas_dir)["invoice"]
    corrections = []
    for f in SCALARS:
        want = canon(truth[f], schema.fields[f])
        got = canon((item.fields.get(f) or {}).get("value"), schema.fields[f])
        if got == want:
            continue
        span = printed(doc.text, f, str(truth[f]))
        if span is None:  # not printed as such (the name only in capitals in the logo): typed
            corrections.append(actions.Correction(f, str(truth[f])))
        else:
            corrections.append(actions.Correction(f, doc.text[span[0]:span[1]], *span))
    decision = actions.correct(settings, item.review_id, "alice", corrections, expected_version=item.version)
    assert decision.action == "correct"

    # 3. propose, backtest, promote into the copy of mappings/
    cand = propose(settings, item.review_id)
    assert propose(settings, item.review_id).id == cand.id  # stable
    report = backtest(settings, cand)
    path = promote(settings, cand, "bob", report, trust_ramp=0)  # the ramp has its own test (test_coaching.py)

    # 4. the rest of the layout, then the other suppliers again, with the learned rules
    run_batch(settings, rest, "b2-after")
    after_rest = kb_rows(settings, rest)
    open_rest = [i for i in ReviewStore(settings.kb_root).items() if Path(i.source_path).name in {p.name for p in rest}]
    run_batch(settings, OTHERS, "b3-rerun")
    after_others = kb_rows(settings, OTHERS)
    return {"settings": settings, "item": item, "corrections": corrections, "cand": cand, "report": report,
            "path": path, "expected": expected, "rest": rest, "after_rest": after_rest, "open_rest": open_rest,
            "before": before, "after_others": after_others, "schema": schema, "tmp": tmp}


def test_one_correction_per_wrong_field_on_one_document(curve: dict) -> None:
    fields = [c.field for c in curve["corrections"]]
    assert len(fields) == len(set(fields)), "one correction per field"
    assert 1 <= len(fields) <= len(SCALARS)
    assert "invoice_number" in fields  # missing before learning ("Document ref" is no alias)
    # the generic extractor reads the total and subtotal by the sum check: nothing to correct
    assert "total_amount" not in fields and "subtotal_amount" not in fields


def test_backtest_reproduces_and_breaks_nothing(curve: dict) -> None:
    rep = curve["report"]
    assert rep.ok and rep.own_reproduced and not rep.broken
    assert rep.matched_documents == 1  # only the corrected document of this layout is stored yet
    others = {p.name for p in OTHERS}
    assert not [c for c in rep.changes if Path(c["source_path"]).name in others]


def test_promoted_yaml_is_readable_loads_and_examples_pass(curve: dict) -> None:
    settings, path, cand = curve["settings"], curve["path"], curve["cand"]
    assert path.parent == settings.mappings_dir / "learned" and path.name == f"{cand.id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Learned rule set") and text.index("provenance:") < text.index("\nid:")
    assert "promoted_by: bob" in text and "reviewer: alice" in text and curve["item"].review_id in text
    schemas = load_schemas(settings.schemas_dir)
    book = load_rules(settings.mappings_dir, schemas)
    assert any(rs.id == cand.id for rs in book.rule_sets)
    assert all(r.ok for r in run_examples(book, schemas))  # `mapper rules test` still passes
    assert not (REPO / "mappings" / "learned" / path.name).exists()


def test_rest_of_layout_lands_without_review_with_true_values(curve: dict) -> None:
    rest, rows, schema, cand = curve["rest"], curve["after_rest"], curve["schema"], curve["cand"]
    assert len(rest) >= 11
    assert not curve["open_rest"], [i.source_path for i in curve["open_rest"]]
    assert set(rows) == {p.name for p in rest}
    learned = set(cand.rule_set.fields)
    for name, row in rows.items():
        truth = curve["expected"][name]
        for f in SCALARS:
            assert canon(row[f], schema.fields[f]) == canon(truth[f], schema.fields[f]), (name, f)
        assert len(row["line_items"]) == len(truth["line_items"])
        prov = {p["field"]: p["rule_id"] for p in row["provenance"]}
        for f in learned:
            assert (prov.get(f) or "").startswith(cand.id + "."), (name, f, prov.get(f))


def test_no_previously_correct_document_changed(curve: dict) -> None:
    before, after, schema = curve["before"], curve["after_others"], curve["schema"]
    assert before and set(before) == set(after)
    for name in before:
        for f in schema.fields:
            assert canon(after[name][f], schema.fields[f]) == canon(before[name][f], schema.fields[f]), (name, f)


def test_figure(curve: dict) -> None:
    """The learning curve as a small table (printed with -s) and JSON."""
    per_field = {f: 0 for f in SCALARS}
    for c in curve["corrections"]:
        per_field[c.field] += 1
    learned_from = {f: (rules[0].provenance or {}).get("learned_from") for f, rules in curve["cand"].rule_set.fields.items()}
    figure = {
        "layout": "Kestrel Flow Controls Ltd (tests/fixtures/learning_supplier)",
        "documents_of_layout": 1 + len(curve["rest"]),
        "corrections_total": len(curve["corrections"]),
        "documents_corrected": 1,
        "corrections_per_field": per_field,
        "rules_learned": learned_from,
        "after_promotion": {"documents": len(curve["rest"]), "landed_without_review": len(curve["after_rest"]),
                            "in_review": len(curve["open_rest"])},
        "backtest": curve["report"].summary(),
        "other_suppliers_unchanged": len(curve["before"]),
    }
    out = curve["tmp"] / "learning_curve.json"
    out.write_text(json.dumps(figure, indent=1, default=str), encoding="utf-8")
    lines = ["", "learning curve: " + figure["layout"],
             f"  {'field':<18}{'corrections':>12}  rule learned from",
             *[f"  {f:<18}{n:>12}  {learned_from.get(f) or '-'}" for f, n in per_field.items()],
             f"  corrections: {figure['corrections_total']} on 1 document; then "
             f"{figure['after_promotion']['landed_without_review']}/{len(curve['rest'])} documents landed with no review; "
             f"{figure['other_suppliers_unchanged']} other suppliers' invoices unchanged", f"  figure: {out}"]
    print("\n".join(lines))
    assert figure["after_promotion"]["landed_without_review"] == len(curve["rest"])
    assert figure["corrections_total"] <= len(SCALARS)
