"""data_samples/README.md and .mapperignore."""

from __future__ import annotations

from pathlib import Path

MAPPERIGNORE = """# Golden expected outputs and this folder's README are not input documents.
*.expected.json
README.md
"""

_KINDS = {
    "invoices": "Supplier invoices as digital PDFs in six supplier layouts, a credit note, a two-page invoice "
                "and one scanned (image-only, no text layer) invoice",
    "emails": "Customer-support emails to the utility: `.eml` (plain, HTML-only, multipart/alternative, replies "
              "with quoted text, PDF bill attachments) and Outlook `.msg` (one with a PDF, one with a JPEG)",
    "contracts": "Service contracts as `.docx`: parties, effective date, term, end date, governing law, value, "
                 "numbered clauses (typed or Word list numbering), schedule tables, header and footer",
    "code": "SQL (two naming conventions, one commented-out row that is *not* a record) and Python modules "
            "holding customer and tariff records",
    "misc": "A `.txt` handover note, a `.md` tariff table, an `.html` customer notice, two `.csv` exports and "
            "a `.json` CRM export",
}


def render(out: Path) -> str:
    lines = ["# Sample corpus: Severn Vale Water", "",
             "A small, fictional but realistic document set for the AI data mapper: documents that a regional UK "
             "water utility (Severn Vale Water Ltd) holds about its suppliers, commercial customers and contracts. "
             "Every document has a golden `<file>.expected.json` beside it with the records the pipeline should "
             "extract.", "",
             "**Do not edit these files by hand.** They are generated, deterministically, by", "",
             "```bash", "python -m scripts.make_samples          # regenerate data_samples/",
             "python -m scripts.make_samples --check  # regenerate, validate, and prove byte-identical re-runs",
             "```", "",
             "Everything is invented: phone numbers are Ofcom drama numbers (01632 960xxx, 07700 900xxx), domains are "
             "under example.co.uk / example.com, IP addresses are from 192.0.2.0/24; IBANs and VAT numbers have valid "
             "check digits but belong to nobody.", "", "## Contents", ""]
    for folder, desc in _KINDS.items():
        files = sorted(p.name for p in (out / folder).iterdir() if not p.name.endswith(".expected.json"))
        lines.append(f"### `{folder}/` ({len(files)} documents)")
        lines.append("")
        lines.append(desc + ".")
        lines.append("")
        lines += [f"- `{f}`" for f in files]
        lines.append("")
    lines += [
        "## Golden expected outputs", "",
        "`<file>.expected.json` holds `{\"records\": [...]}`; each record has `schema`, `source` (`.` for the "
        "document itself, `attachment:<filename>` for an email attachment) and `fields`. A document that maps to "
        "no schema (the newsletter-style notice, the meter-readings export, the meter photo attachment) has no "
        "records. Only fields the document actually states are present.", "",
        "Normalisation rules used in the golden files:", "",
        "- Dates are ISO (`2026-02-03`); `received_at` is the email `Date` header as ISO date-time with offset.",
        "- Money is a JSON number with two decimals; credit notes are negative. Quantities are numbers as printed.",
        "- `issuer_address`: the issuer's printed address lines joined with `, `.",
        "- `issuer_tax_id`: the VAT number without spaces, with its country prefix (`GB284551246`, `DE287345113`).",
        "- `iban`: without spaces. `currency`: ISO 4217.",
        "- Receipt-style invoices that print no line table (Cotswold Analytical Laboratories) have no "
        "`line_items`. Invoices with no due date (the credit note) have no `due_date`.",
        "- Phones are E.164 (`+441632960123`); postcodes upper case with one space (`GL20 5RT`).",
        "- Support cases: `customer_name` is the account holder organisation named in the email; `customer_email` "
        "is the `From` address; `site_address` is the supply address without the postcode; `summary` is the "
        "subject exactly as sent (including any `Re:` prefix). `category` is one of no_supply, water_quality, "
        "billing, leak, metering, other; `priority` is one of emergency, high, normal, low, and each email "
        "states its urgency in words (emergency / no water at all / vulnerable; urgent / asap; "
        "no rush / when convenient / not urgent).",
        "- Contracts: `term` in months; `end_date` is `null` for a contract that rolls on after its initial term "
        "and absent when the document does not state one; `governing_law` is the jurisdiction name "
        "(`England and Wales`, `Scotland`, `New York`); `parties` in the order the document names them.",
        "- Customers and tariffs held in SQL/CSV/JSON/Python: one record per row; a commented-out SQL row is not "
        "a record. `customer_since` is the start/connection date.", "",
        "## Determinism", "",
        "Re-running the generator produces byte-identical files: reportlab runs in invariant mode (fixed dates "
        "and document IDs), the scan uses seeded noise, `.docx` core properties and zip entry timestamps are "
        "fixed, email `Date`/`Message-ID`/MIME boundaries are fixed, and the `.msg` writer stores zero "
        "timestamps. Byte identity is guaranteed for the same library versions (reportlab, pypdfium2 for the "
        "scan rasterisation, Pillow/libjpeg, python-docx, zlib); a different version of one of them may change "
        "bytes but not content.", "",
    ]
    return "\n".join(lines)
