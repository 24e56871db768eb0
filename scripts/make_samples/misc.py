"""Other everyday formats: a .txt note, a .md tariff summary, an .html notice, .csv exports, a .json CRM export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

from .code_samples import customer_golden, tariff_golden
from .common import SEED, write_expected
from .data import CUST, CUSTOMERS, TARIFFS_2026, UTILITY


def note_txt(path: Path) -> None:
    text = """NEW ACCOUNT - handover note (business customer team)
Written by: R. Patel, 12/02/2026

Set up a new non-household account today after the site changed hands.

  Customer ........ Tewkesbury Riverside Lodge Ltd
  Account no ...... SVW-147733
  Site ............ Old Mill Wharf, Quay Street, Tewkesbury
  Postcode ........ GL20 5SD
  Contact tel ..... 01632 960 318 (Mrs D. Allen, owner)
  Contact email ... d.allen@riversidelodge.example.co.uk
  Tariff .......... NHH-STD (standard non-household)
  Supply start .... 09/02/2026

Meter read on take-over: 003187 m3 (serial 18M220931). Previous occupier's final bill to go to the
forwarding address on file. Customer asked for quarterly paper bills - flagged on the account.
"""
    path.write_text(text, encoding="utf-8")
    write_expected(path, [customer_golden("SVW-147733", "Tewkesbury Riverside Lodge Ltd",
                                          "d.allen@riversidelodge.example.co.uk", "01632 960 318",
                                          "Old Mill Wharf, Quay Street, Tewkesbury", "GL20 5SD", "NHH-STD",
                                          dt.date(2026, 2, 9))])


def tariffs_md(path: Path) -> None:
    rows = "\n".join(f"| {t.code} | {t.name} | £{t.standing} | £{t.volumetric} |" for t in TARIFFS_2026)
    text = f"""# Non-household water tariffs 2026-27

Approved charges for water supply to business customers, **effective from 1 April 2026**.
All charges are in pounds sterling (GBP) and exclude wastewater and surface water drainage.

| Tariff code | Tariff | Standing charge (per day) | Volumetric rate (per m³) |
|-------------|--------|--------------------------:|-------------------------:|
{rows}

## Notes

- Large volume (`NHH-LV`) customers must use more than 50 Ml a year at a single supply point.
- Agricultural customers may ask for a separate meter for drinking troughs.
- Full charges scheme: see the [charges page](https://{UTILITY['web']}/business/charges).
"""
    path.write_text(text, encoding="utf-8")
    write_expected(path, [tariff_golden(t) for t in TARIFFS_2026])


def notice_html(path: Path) -> None:
    text = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Business Customer Update - March 2026 | Severn Vale Water</title>
<style>
 body {{ font-family: Arial, sans-serif; color: #1d2b36; max-width: 720px; margin: auto; }}
 .banner {{ background: #00698f; color: #fff; padding: 16px; }}
 .works td, .works th {{ border-bottom: 1px solid #ccd; padding: 4px 8px; text-align: left; }}
</style>
</head>
<body>
<div class="banner"><h1>Business Customer Update</h1><p>March 2026</p></div>
<h2>Planned work on our network</h2>
<p>We are replacing ageing cast iron mains in the areas below. Supplies may be interrupted for up to
six hours; we will write to affected premises at least 48 hours before any planned interruption.</p>
<table class="works">
<tr><th>Area</th><th>Dates</th><th>Work</th></tr>
<tr><td>Ross Road, Hereford</td><td>7&ndash;9 April 2026</td><td>Mains replacement</td></tr>
<tr><td>Barton Street, Tewkesbury</td><td>14&ndash;18 April 2026</td><td>Valve and hydrant renewal</td></tr>
<tr><td>Bristol Road, Quedgeley</td><td>20&ndash;24 April 2026</td><td>Mains replacement</td></tr>
</table>
<h2>New charges from 1 April</h2>
<p>Our 2026-27 charges are now published. Most business customers will see an increase of around 5%.</p>
<h2>Register for priority services</h2>
<p>Care homes, surgeries and schools can register for priority contact during supply interruptions.
Call us on {UTILITY['phone']} or email <a href="mailto:{UTILITY['email']}">{UTILITY['email']}</a>.</p>
<footer><small>{UTILITY['name']}, {', '.join(UTILITY['address_lines'])}. Registered in England and Wales
No. {UTILITY['company_no']}.</small></footer>
</body>
</html>
"""
    path.write_text(text, encoding="utf-8")
    write_expected(path, [])


def meter_csv(path: Path) -> None:
    rng = random.Random(SEED + 7)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["meter_serial", "account_number", "read_date", "read_type", "reading_m3", "read_by"])
    for i, c in enumerate(CUSTOMERS):
        serial = f"{18 + i % 6}M{rng.randrange(100000, 999999)}"
        reading = rng.randrange(1200, 90000)
        for month in (11, 12, 1):
            year = 2025 if month > 6 else 2026
            reading += rng.randrange(20, 900)
            kind = rng.choice(["A", "A", "A", "E", "C"])
            by = {"A": rng.choice(["AMR", "meter reader"]), "E": "system", "C": "customer"}[kind]
            w.writerow([serial, c.account, dt.date(year, month, rng.randrange(3, 27)).isoformat(), kind, reading, by])
    path.write_text(buf.getvalue(), encoding="utf-8")
    write_expected(path, [])


_NEW = [
    ("SVW-147102", "Quedgeley Hand Car Wash Ltd", "hello@quedgeleycarwash.example.co.uk", "07700 900612",
     "Unit 1, St James Parade, Quedgeley, Gloucester", "GL2 4WD", "NHH-STD", dt.date(2026, 1, 5)),
    ("SVW-147268", "Cinderford Community Kitchen CIC", "kitchen@cinderfordcic.example.co.uk", "01632 960051",
     "18 High Street, Cinderford", "GL14 2SJ", "NHH-STD", dt.date(2026, 1, 19)),
    ("SVW-147391", "Evesham Vale Polytunnels Ltd", "accounts@eveshampoly.example.co.uk", "01632 960688",
     "Littleton Road, North Littleton, Evesham", "WR11 8QW", "NHH-AGRI", dt.date(2026, 2, 2)),
    ("SVW-147510", "Malvern Hills Nursery School", "office@mhnursery.example.co.uk", "01632 960704",
     "Church Street, Great Malvern", "WR14 2AY", "NHH-EDU", dt.date(2026, 2, 16)),
]


def connections_csv(path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(["Account", "Customer name", "Email", "Telephone", "Supply address", "Postcode", "Tariff",
                "Connected on"])
    for acct, name, email, phone, addr, pc, tariff, since in _NEW:
        w.writerow([acct, name, email, phone, addr, pc, tariff, since.strftime("%d/%m/%Y")])
    path.write_text(buf.getvalue(), encoding="utf-8")
    write_expected(path, [customer_golden(*r) for r in _NEW])


def crm_json(path: Path) -> None:
    picks = [CUST[a] for a in ("SVW-118734", "SVW-127661", "SVW-133480", "SVW-115092", "SVW-112640")]
    doc = {"export": {"system": "SVW CRM", "generated": "2026-03-01T06:00:00Z", "count": len(picks)},
           "customers": []}
    for c in picks:
        doc["customers"].append({
            "accountNumber": c.account,
            "displayName": c.name,
            "primaryContact": {"name": c.contact, "email": c.email, "phone": c.phone},
            "site": {"address": c.address, "postcode": c.postcode},
            "billing": {"tariffCode": c.tariff, "paymentMethod": "DD" if c.account < "SVW-125000" else "BACS"},
            "customerSince": c.since.isoformat(),
        })
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_expected(path, [customer_golden(c.account, c.name, c.email, c.phone, c.address, c.postcode, c.tariff,
                                          c.since) for c in picks])


def write_all(out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [("new_account_handover_note.txt", note_txt), ("tariff_summary_2026-27.md", tariffs_md),
            ("business_customer_update_2026-03.html", notice_html), ("meter_readings_2025-11_to_2026-01.csv", meter_csv),
            ("new_connections_2026Q1.csv", connections_csv), ("crm_export_2026-03-01.json", crm_json)]
    paths = []
    for name, fn in jobs:
        fn(out_dir / name)
        paths.append(out_dir / name)
    return paths

