"""Validate a generated corpus and prove the generator is deterministic.

python -m scripts.make_samples --check    (or: python -m scripts.make_samples.verify [DIR])
"""

from __future__ import annotations

import ast
import email
import hashlib
import json
import re
import sys
import tempfile
from decimal import Decimal
from email import policy
from pathlib import Path

FIELDS = {
    "invoice": {"invoice_number", "issue_date", "due_date", "issuer_name", "issuer_address", "issuer_tax_id",
                "customer_name", "customer_account", "currency", "subtotal_amount", "tax_amount", "total_amount",
                "iban", "line_items"},
    "support_case": {"received_at", "channel", "customer_name", "customer_email", "customer_phone",
                     "account_number", "site_address", "postcode", "category", "priority", "summary"},
    "contract": {"title", "parties", "effective_date", "end_date", "term", "governing_law", "contract_value",
                 "currency"},
    "customer": {"account_number", "name", "email", "phone", "address", "postcode", "tariff", "customer_since"},
    "tariff": {"tariff_code", "name", "standing_charge", "volumetric_rate", "currency", "valid_from"},
}
PRIORITY_WORDS = {"emergency": ("emergency", "no water at all", "vulnerable"), "high": ("urgent", "asap"),
                  "low": ("no rush", "when convenient", "whenever is convenient", "not urgent"), "normal": ()}


class Checker:
    def __init__(self):
        self.errors, self.notes = [], []

    def ok(self, cond, msg):
        if not cond:
            self.errors.append(msg)
        return cond


def _load(p: Path) -> list:
    return json.loads(p.read_text(encoding="utf-8"), parse_float=Decimal)["records"]


def _docs(root: Path) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".expected.json")
                  and p.parent != root)


# --------------------------------------------------------------------------- golden structure
def check_golden(ck: Checker, root: Path) -> None:
    for doc in _docs(root):
        exp = doc.with_name(doc.name + ".expected.json")
        if not ck.ok(exp.exists(), f"{doc}: no expected.json"):
            continue
        for r in _load(exp):
            ck.ok(r["schema"] in FIELDS, f"{exp}: unknown schema {r['schema']}")
            ck.ok(r["source"] == "." or r["source"].startswith("attachment:"), f"{exp}: bad source")
            extra = set(r["fields"]) - FIELDS.get(r["schema"], set())
            ck.ok(not extra, f"{exp}: unexpected fields {extra}")
            if r["schema"] == "invoice":
                check_invoice_math(ck, exp, r["fields"])
    for exp in root.rglob("*.expected.json"):
        ck.ok(exp.with_name(exp.name[: -len(".expected.json")]).exists(), f"{exp}: orphan golden file")


def check_invoice_math(ck: Checker, where, f: dict) -> None:
    ck.ok(f["subtotal_amount"] + f["tax_amount"] == f["total_amount"], f"{where}: subtotal + tax != total")
    if "line_items" in f:
        ck.ok(sum(li["amount"] for li in f["line_items"]) == f["subtotal_amount"], f"{where}: lines != subtotal")
        for li in f["line_items"]:
            ck.ok(Decimal(li["quantity"]) * li["unit_price"] == li["amount"], f"{where}: qty*price != amount {li}")
    for k in ("subtotal_amount", "tax_amount", "total_amount"):
        ck.ok(f[k].as_tuple().exponent == -2, f"{where}: {k} not 2 decimals")
    from .common import iban_ok
    ck.ok(iban_ok(f["iban"]), f"{where}: IBAN check digits")


# --------------------------------------------------------------------------- PDFs
def check_pdfs(ck: Checker, root: Path) -> None:
    import pdfplumber

    for pdf in sorted((root / "invoices").glob("*.pdf")):
        f = _load(pdf.with_name(pdf.name + ".expected.json"))[0]["fields"]
        with pdfplumber.open(pdf) as doc:
            text = "\n".join(page.extract_text() or "" for page in doc.pages)
            images = sum(len(page.images) for page in doc.pages)
            pages = len(doc.pages)
        if pdf.name.startswith("scan_"):
            ck.ok(text.strip() == "" and images == 1, f"{pdf}: scan must be image-only")
            continue
        ck.ok(len(text) > 200, f"{pdf}: no text layer")
        ck.ok(f["invoice_number"] in text, f"{pdf}: invoice number not in text")
        flat = text.replace(" ", "")
        ck.ok(f["iban"] in flat, f"{pdf}: IBAN not in text")
        ck.ok(f["issuer_tax_id"] in flat, f"{pdf}: tax id not in text")
        for li in f.get("line_items", []):
            ck.ok(li["description"] in text, f"{pdf}: line '{li['description']}' not in text")
        if len(f.get("line_items", [])) > 30:
            ck.ok(pages >= 2, f"{pdf}: long invoice should span pages")


# --------------------------------------------------------------------------- emails
def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _case_text_checks(ck: Checker, where, text: str, f: dict) -> None:
    low = text.lower()
    compact = re.sub(r"\s", "", text).upper()
    ck.ok(f["customer_name"].lower() in re.sub(r"\s+", " ", low), f"{where}: customer name not stated")
    if "account_number" in f:
        ck.ok(f["account_number"] in text, f"{where}: account not stated")
    if "postcode" in f:
        ck.ok(f["postcode"].replace(" ", "") in compact, f"{where}: postcode not stated")
    if "site_address" in f:
        first = f["site_address"].split(",")[0]
        ck.ok(first in text, f"{where}: site address not stated")
    if "customer_phone" in f:
        national = "0" + f["customer_phone"][3:]
        d = _digits(text)
        ck.ok(national in d or f["customer_phone"][1:] in d, f"{where}: phone not stated")
    words = PRIORITY_WORDS[f["priority"]]
    ck.ok(not words or any(w in low for w in words), f"{where}: priority {f['priority']} not stated in words")
    if f["priority"] == "normal":
        hits = [w for ws in PRIORITY_WORDS.values() for w in ws if w in low]
        ck.ok(not hits, f"{where}: normal-priority email uses urgency words {hits}")


def check_emails(ck: Checker, root: Path) -> None:
    import datetime as dt

    import extract_msg
    import olefile

    from .email_cases import cases
    from .emails import _attachments, make_bills, unwrap

    by_file = {c.file: c for c in cases(make_bills())}
    for path in sorted((root / "emails").iterdir()):
        if path.name.endswith(".expected.json"):
            continue
        recs = _load(path.with_name(path.name + ".expected.json"))
        case = by_file[path.name]
        f = recs[0]["fields"]
        want_atts = {a[0]: a[1] for a in _attachments(case)}
        ck.ok({r["source"][11:] for r in recs[1:]} <= set(want_atts), f"{path}: golden attachment not in email")
        if path.suffix == ".eml":
            msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            date = email.utils.parsedate_to_datetime(msg["Date"])
            ck.ok(date.isoformat() == f["received_at"], f"{path}: Date != received_at")
            ck.ok(msg["Subject"] == f["summary"], f"{path}: subject")
            ck.ok(email.utils.parseaddr(msg["From"])[1] == f["customer_email"], f"{path}: From")
            body = msg.get_body(("plain", "html")).get_content()
            got = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
            ck.ok(got == want_atts, f"{path}: attachments differ")
            _case_text_checks(ck, path, msg["Subject"] + "\n" + body, f)
        else:
            ole = olefile.OleFileIO(str(path), raise_defects=olefile.DEFECT_INCORRECT)
            check_rb_trees(ck, path, ole)
            ole.close()
            m = extract_msg.openMsg(str(path))
            try:
                ck.ok(f["customer_email"] in (m.sender or ""), f"{path}: sender {m.sender!r}")
                ck.ok("customer.services@severnvalewater.example.co.uk" in (m.to or ""), f"{path}: to {m.to!r}")
                for name, addr in case.cc:
                    ck.ok(addr in (m.cc or ""), f"{path}: cc {m.cc!r}")
                ck.ok(not case.cc and not m.cc or bool(case.cc), f"{path}: unexpected cc {m.cc!r}")
                ck.ok(m.date == dt.datetime.fromisoformat(f["received_at"]), f"{path}: date {m.date}")
                ck.ok(m.subject == f["summary"], f"{path}: subject {m.subject!r}")
                ck.ok(m.body.replace("\r\n", "\n") == unwrap(case.body), f"{path}: body differs")
                got = {a.longFilename: a.data for a in m.attachments}
                ck.ok(got == want_atts, f"{path}: attachments differ: {sorted(got)}")
                ck.ok(bool(m.headerText) == case.transport_headers, f"{path}: transport headers")
                _case_text_checks(ck, path, m.subject + "\n" + m.body, f)
            finally:
                m.close()


def check_rb_trees(ck: Checker, where, ole) -> None:
    """Every storage's children form a valid red-black tree (black root, no red-red, equal black height)."""
    ents = ole.direntries

    def walk(sid, parent_red):
        if sid == 0xFFFFFFFF:
            return 1
        e = ents[sid]
        red = e.color == 0
        ck.ok(not (red and parent_red), f"{where}: red-red at {e.name}")
        lh, rh = walk(e.sid_left, red), walk(e.sid_right, red)
        ck.ok(lh == rh, f"{where}: unequal black height under {e.name}")
        return lh + (0 if red else 1)

    for e in ents:
        if e is not None and e.entry_type in (1, 5) and e.sid_child != 0xFFFFFFFF:
            ck.ok(ents[e.sid_child].color == 1, f"{where}: red tree root in {e.name}")
            walk(e.sid_child, False)


# --------------------------------------------------------------------------- docx, code, misc
def check_contracts(ck: Checker, root: Path) -> None:
    import docx

    for p in sorted((root / "contracts").glob("*.docx")):
        f = _load(p.with_name(p.name + ".expected.json"))[0]["fields"]
        d = docx.Document(str(p))
        text = "\n".join(par.text for par in d.paragraphs)
        ck.ok(d.paragraphs[0].text == f["title"], f"{p}: title")
        ck.ok(len(d.tables) >= 1, f"{p}: no table")
        sec = d.sections[0]
        ck.ok(sec.header.paragraphs[0].text and sec.footer.paragraphs[0].text, f"{p}: header/footer")
        for party in f["parties"]:
            ck.ok(party.lower() in text.lower() or any(party in c.text for t in d.tables for c in t._cells),
                  f"{p}: party {party}")
        ck.ok(f["governing_law"] in text, f"{p}: law")


def check_code(ck: Checker, root: Path) -> None:
    import sqlglot

    code = root / "code"
    for sql in sorted(code.glob("*.sql")):
        n = 0
        for stmt in sqlglot.parse(sql.read_text(encoding="utf-8"), read="oracle" if "billing" in sql.name else None):
            if isinstance(stmt, sqlglot.exp.Insert):
                values = stmt.expression
                n += len(values.expressions) if isinstance(values, sqlglot.exp.Values) else 1
        ck.ok(n == len(_load(sql.with_name(sql.name + ".expected.json"))), f"{sql}: {n} rows vs golden")
    for py in sorted(code.glob("*.py")):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        ns = {}
        exec(compile(tree, str(py), "exec"), ns)  # our own generated file
        rows = ns.get("CUSTOMERS") or ns.get("TARIFFS")
        ck.ok(len(rows) == len(_load(py.with_name(py.name + ".expected.json"))), f"{py}: rows vs golden")


def check_sniff(ck: Checker, root: Path) -> None:
    """The pipeline's content sniffer must see each file as the format its extension says."""
    try:
        from pipelines.ingest.sniff import EXTENSIONS, sniff
    except ImportError:
        ck.notes.append("pipelines.ingest.sniff not importable: sniff check skipped")
        return
    for p in _docs(root):
        kind = sniff(p.read_bytes(), p.name)
        ck.ok(EXTENSIONS.get(kind) == p.suffix.lower(), f"{p}: sniffed as {kind}")


# --------------------------------------------------------------------------- determinism
def tree_hashes(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def check_determinism(ck: Checker, root: Path) -> None:
    from .__main__ import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        a, b = tree_hashes(root), tree_hashes(Path(tmp))
    # README lists the folder it was written into only by relative names, so it must match too.
    ck.ok(a.keys() == b.keys(), f"determinism: file sets differ {sorted(a.keys() ^ b.keys())}")
    diff = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    ck.ok(not diff, f"determinism: {len(diff)} files differ on re-run: {diff[:10]}")
    ck.notes.append(f"determinism: {len(a)} files byte-identical on re-run" if not diff else "determinism FAILED")


def main(root: Path) -> int:
    ck = Checker()
    for step in (check_golden, check_pdfs, check_emails, check_contracts, check_code, check_sniff,
                 check_determinism):
        step(ck, root)
    for n in ck.notes:
        print("note:", n)
    for e in ck.errors:
        print("FAIL:", e)
    docs = _docs(root)
    print(f"{len(docs)} documents checked, {len(ck.errors)} problems")
    return 1 if ck.errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "data_samples"))
