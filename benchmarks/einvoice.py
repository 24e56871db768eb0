"""E-invoice fields three ways: from the XML, from the page only (embedded files removed), and
combined (the hybrid mapping: XML values cross-checked with the page); plus straight-through.

    .venv/bin/python -m benchmarks.einvoice                       # the generated fixtures
    .venv/bin/python -m benchmarks.einvoice --docs DIR --gold DIR  # real files with gold JSON

Gold files are JSON objects with "doc" (the file name) and project field names; the fixtures'
gold comes from the data the fixture script generated them from (not from the XML read back).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipelines.model.document import Document
from pipelines.map.einvoice import embedded_einvoice
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.outcome import LANDED
from pipelines.run.mapper import Mapper

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "einvoice"
FIELDS = ("invoice_number", "issue_date", "due_date", "issuer_name", "customer_name", "currency", "subtotal_amount",
          "tax_amount", "total_amount", "amount_due", "issuer_tax_id", "customer_tax_id", "iban")


def fixture_gold() -> dict[str, dict[str, Any]]:
    from scripts.make_einvoice_fixtures import invoice_data

    def gold(data: dict[str, Any], sign: int = 1) -> dict[str, Any]:
        return {"invoice_number": data["BT-1"], "issue_date": data["BT-2"], "due_date": data["BT-9"],
                "issuer_name": data["BG-4"]["name"], "customer_name": data["BG-7"]["name"], "currency": data["BT-5"],
                "subtotal_amount": sign * Decimal(data["BT-109"]), "tax_amount": sign * Decimal(data["BT-110"]),
                "total_amount": sign * Decimal(data["BT-112"]), "amount_due": sign * Decimal(data["BT-115"]),
                "issuer_tax_id": data["BG-4"]["vat_identifier"], "customer_tax_id": data["BG-7"]["vat_identifier"],
                "iban": data["BT-84"]}
    return {
        "cii_invoice.xml": gold(invoice_data(number="KM-2025-0314")),
        "cii_credit_note.xml": gold(invoice_data(number="KM-GS-2025-007", type_code="381"), -1),
        "ubl_invoice.xml": gold(invoice_data(number="KM-2025-0315")),
        "ubl_credit_note.xml": gold(invoice_data(number="KM-GS-2025-008", type_code="381"), -1),
        "hybrid_agrees.pdf": gold(invoice_data(number="KM-2025-0316")),
        "zugferd1_invoice.xml": gold(invoice_data(number="KM-2025-0317")),
    }


def _norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (Decimal, int, float)):
        return Decimal(str(v)).quantize(Decimal("0.01"))
    s = str(v)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s.strip()):
        return s.strip()
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", s.strip()):
            return Decimal(s.strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        pass
    return re.sub(r"[\s\W_]+", "", s).casefold()


ERRORS: list[str] = []


def score(pred: dict[str, Any], gold: dict[str, Any], tally: dict[str, int], where: str = "") -> None:
    for name in FIELDS:
        g, p = _norm(gold.get(name)), _norm(pred.get(name))
        if g is None:
            continue  # only fields the gold carries
        tally["gold"] += 1
        if p is not None:
            tally["pred"] += 1
            tally["tp"] += p == g
        if p != g:
            ERRORS.append(f"{where:40} {name:16} {pred.get(name)!s:>30}  gold {gold.get(name)}")


def prf(t: dict[str, int]) -> str:
    p = t["tp"] / t["pred"] if t["pred"] else 0.0
    r = t["tp"] / t["gold"] if t["gold"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}  ({t['tp']}/{t['pred']}/{t['gold']})"


def _values(mapper: Mapper, doc: Document) -> tuple[dict[str, Any], str]:
    oc = next(iter(mapper.outcomes(doc)))
    return (oc.records[0].values() if oc.records else {}), oc.outcome


def run(docs: dict[str, bytes], gold: dict[str, dict[str, Any]]) -> dict[str, Any]:
    mapper = Mapper.from_dirs(ROOT / "schemas", ROOT / "mappings")
    tallies = {m: {"tp": 0, "pred": 0, "gold": 0} for m in ("xml", "page", "combined")}
    hybrid = {"documents": 0, "landed": 0}
    for name, data in sorted(docs.items()):
        g = gold.get(name)
        if g is None:
            continue
        doc = parse_bytes(data, name=name)
        xml = embedded_einvoice(doc) if doc.media_type == "application/pdf" else (doc if doc.metadata.get("einvoice") else None)
        if xml is not None:
            score(_values(mapper, xml)[0], g, tallies["xml"], f"xml   {name}")  # the XML alone, without its page
        if doc.media_type == "application/pdf":
            page_only = parse_bytes(data, name=name)
            page_only.children = []  # the page alone: what the mapper read before e-invoices
            score(_values(mapper, page_only)[0], g, tallies["page"], f"page  {name}")
            values, outcome = _values(mapper, doc)
            score(values, g, tallies["combined"], f"both  {name}")
            if xml is not None:
                hybrid["documents"] += 1
                hybrid["landed"] += outcome == LANDED
        else:
            score(_values(mapper, doc)[0], g, tallies["combined"], f"both  {name}")
    return {"tallies": tallies, "hybrid": hybrid}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=Path, help="folder of e-invoice PDFs / XMLs (default: the test fixtures)")
    ap.add_argument("--gold", type=Path, help="folder of gold JSON files with a 'doc' key")
    ap.add_argument("--errors", action="store_true", help="list every value that differs from the gold")
    a = ap.parse_args(argv)
    if a.docs:
        docs = {p.name: p.read_bytes() for p in a.docs.iterdir() if p.is_file()}
        gold = {}
        for p in sorted((a.gold or a.docs).glob("*.json")):
            g = json.loads(p.read_text(encoding="utf-8"))
            gold[g["doc"]] = {k: v for k, v in g.items() if not k.startswith("_") and k != "doc"}
    else:
        gold = fixture_gold()
        docs = {n: (FIXTURES / n).read_bytes() for n in gold}
    t0 = time.perf_counter()
    out = run(docs, gold)
    print(f"{len(gold)} documents with gold, {time.perf_counter() - t0:.1f} s")
    for mode, label in (("xml", "from the XML"), ("page", "page only (embedded files removed)"), ("combined", "combined")):
        print(f"  {label:38} {prf(out['tallies'][mode])}")
    h = out["hybrid"]
    print(f"  hybrid PDFs straight-through: {h['landed']}/{h['documents']}")
    if a.errors:
        print("\n".join(ERRORS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
