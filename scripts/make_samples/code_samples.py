"""Source code and SQL that hold customer and tariff data (the kind of thing found in old repos)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .common import e164_uk, norm_postcode, record, write_expected
from .data import CUSTOMERS, TARIFFS_2025, TARIFFS_2026, Customer


def customer_golden(account, name, email, phone, address, postcode, tariff, since) -> dict:
    f = {"account_number": account, "name": name, "email": email, "phone": e164_uk(phone) if phone else None,
         "address": address, "postcode": norm_postcode(postcode) if postcode else None, "tariff": tariff,
         "customer_since": since.isoformat() if since else None}
    return record("customer", {k: v for k, v in f.items() if v is not None})


def _g(c: Customer) -> dict:
    return customer_golden(c.account, c.name, c.email, c.phone, c.address, c.postcode, c.tariff, c.since)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# --------------------------------------------------------------------------- customers.sql
def customers_sql(path: Path) -> None:
    rows = CUSTOMERS[:10]
    out = ["-- Severn Vale Water Ltd - non-household customer master",
           "-- Extract from the CRM reporting database, taken 2026-02-01 for the data migration project.",
           "-- Phone numbers are stored as entered by the contact centre.", "",
           "CREATE TABLE tariffs (", "    tariff_code  VARCHAR(10) PRIMARY KEY,", "    description  VARCHAR(80)", ");", "",
           "CREATE TABLE customers (",
           "    account_number  VARCHAR(10)  PRIMARY KEY,   -- SVW-nnnnnn",
           "    name            VARCHAR(120) NOT NULL,",
           "    email           VARCHAR(120),",
           "    phone           VARCHAR(20),",
           "    address         VARCHAR(200),",
           "    postcode        VARCHAR(8),",
           "    tariff          VARCHAR(10)  REFERENCES tariffs (tariff_code),",
           "    customer_since  DATE",
           ");", "",
           "INSERT INTO customers (account_number, name, email, phone, address, postcode, tariff, customer_since) VALUES"]
    vals = [f"    ({_q(c.account)}, {_q(c.name)}, {_q(c.email)}, {_q(c.phone)}, {_q(c.address)}, {_q(c.postcode)}, "
            f"{_q(c.tariff)}, DATE {_q(c.since.isoformat())})" for c in rows[:6]]
    out.append(",\n".join(vals) + ";")
    out.append("")
    out.append("-- Accounts added after the 2024 migration")
    for c in rows[6:]:
        out.append(f"INSERT INTO customers VALUES ({_q(c.account)}, {_q(c.name)}, {_q(c.email)}, {_q(c.phone)}, "
                   f"{_q(c.address)}, {_q(c.postcode)}, {_q(c.tariff)}, {_q(c.since.isoformat())});")
    out += ["", "CREATE INDEX ix_customers_postcode ON customers (postcode);", ""]
    path.write_text("\n".join(out), encoding="utf-8")
    write_expected(path, [_g(c) for c in rows])


# --------------------------------------------------------------------------- billing_accounts.sql
_BILLING = [
    # cust_no, cust_name, tel, email, line1, line2, town, postcode, tariff, start
    ("SVW-136902", "Forest Glade Caravan Park Ltd", "07700900150", "bookings@forestglade.example.co.uk",
     "Speech House Road", None, "Coleford", "GL16 7EL", "NHH-STD", dt.date(2010, 3, 15)),
    ("SVW-138114", "Severnside Self Storage Ltd", "01632960874", "joanne.price@severnsidestorage.example.co.uk",
     "Unit 2", "Waterwells Drive, Quedgeley", "Gloucester", "GL2 2AT", "NHH-STD", dt.date(2021, 2, 1)),
    ("SVW-141058", "Abbey Dental Practice", "01632960590", "reception@abbeydental.example.co.uk",
     "22 Abbey Road", None, "Evesham", "WR11 4SB", "NHH-STD", dt.date(2022, 8, 15)),
    ("SVW-143377", "Tewkesbury Marina Ltd", "01632960436", "office@tewkesburymarina.example.co.uk",
     "Bredon Road", None, "Tewkesbury", "GL20 5BY", "NHH-STD", dt.date(2023, 5, 2)),
    ("SVW-144920", "Ledbury Cider Company Ltd", "07700900482", "orders@ledburycider.example.co.uk",
     "Orchard Barn", "Bromyard Road", "Ledbury", "HR8 1LG", "NHH-AGRI", dt.date(2023, 11, 20)),
    ("SVW-146211", "Upton Sports & Social Club", "01632960125", None,
     "Rectory Road", None, "Upton upon Severn", "WR8 0LX", "NHH-STD", dt.date(2024, 4, 1)),
]


def billing_sql(path: Path) -> None:
    out = ["/* BILLING.BILL_ACCT  -  legacy billing system (Oracle), nightly export",
           "   Columns follow the old naming standard: cust_no = account number, tel = phone, post_cd = postcode.",
           "   start_dt = date the customer took over the supply. */", "",
           "CREATE TABLE bill_acct (",
           "  cust_no     CHAR(10)       NOT NULL,",
           "  cust_name   VARCHAR2(100)  NOT NULL,",
           "  tel         VARCHAR2(20),",
           "  email_addr  VARCHAR2(100),",
           "  addr_1      VARCHAR2(60),",
           "  addr_2      VARCHAR2(60),",
           "  town        VARCHAR2(40),",
           "  post_cd     VARCHAR2(8),",
           "  tariff_cd   VARCHAR2(10),",
           "  start_dt    DATE,",
           "  CONSTRAINT pk_bill_acct PRIMARY KEY (cust_no)",
           ");", ""]
    golden = []
    for no, name, tel, mail, a1, a2, town, pc, tariff, start in _BILLING:
        vals = ", ".join([_q(no), _q(name), _q(tel), _q(mail) if mail else "NULL", _q(a1),
                          _q(a2) if a2 else "NULL", _q(town), _q(pc), _q(tariff),
                          f"TO_DATE('{start.strftime('%d/%m/%Y')}', 'DD/MM/YYYY')"])
        out.append("INSERT INTO bill_acct (cust_no, cust_name, tel, email_addr, addr_1, addr_2, town, post_cd, "
                   f"tariff_cd, start_dt)\n  VALUES ({vals});")
        address = ", ".join(x for x in (a1, a2, town) if x)
        golden.append(customer_golden(no, name, mail, tel, address, pc, tariff, start))
        if no == "SVW-141058":
            out.append("-- closed 2025-06-30, kept for reference only:")
            out.append("-- INSERT INTO bill_acct VALUES ('SVW-099871', 'Evesham Motor Works Ltd', '01632960002', "
                       "NULL, '5 Brick Kiln Street', NULL, 'Evesham', 'WR11 4AA', 'NHH-STD', "
                       "TO_DATE('01/02/1999', 'DD/MM/YYYY'));")
    out += ["", "COMMIT;", ""]
    path.write_text("\n".join(out), encoding="utf-8")
    write_expected(path, golden)


# --------------------------------------------------------------------------- tariffs.py
def tariffs_py(path: Path) -> None:
    def block(ts):
        return "\n".join(
            f'    {{"tariff_code": "{t.code}", "name": "{t.name}", "standing_charge_gbp_per_day": {t.standing},\n'
            f'     "volumetric_rate_gbp_per_m3": {t.volumetric}, "currency": "GBP", '
            f'"valid_from": "{t.valid_from.isoformat()}"}},' for t in ts)
    src = f'''"""Severn Vale Water non-household tariffs (water supply only).

Charges are per supply point: a daily standing charge plus a volumetric rate per cubic metre.
Wastewater and surface water drainage are billed separately (see wastewater_tariffs.py).
Source: Charges Scheme 2025-26 and 2026-27 as approved by the Board.
"""

from __future__ import annotations

from datetime import date

TARIFFS = [
    # 2025-26 charges scheme
{block(TARIFFS_2025)}
    # 2026-27 charges scheme
{block(TARIFFS_2026)}
]


def find_tariff(code: str, on: date) -> dict:
    """Return the tariff with this code in force on the given date."""
    candidates = [t for t in TARIFFS if t["tariff_code"] == code and date.fromisoformat(t["valid_from"]) <= on]
    if not candidates:
        raise KeyError(f"no tariff {{code}} in force on {{on}}")
    return max(candidates, key=lambda t: t["valid_from"])


def annual_charge(code: str, cubic_metres: float, on: date) -> float:
    """Estimated annual water supply charge in GBP for a given annual consumption."""
    t = find_tariff(code, on)
    return round(365 * t["standing_charge_gbp_per_day"] + cubic_metres * t["volumetric_rate_gbp_per_m3"], 2)


if __name__ == "__main__":
    print(annual_charge("NHH-STD", 1200, date(2026, 5, 1)))
'''
    path.write_text(src, encoding="utf-8")
    write_expected(path, [tariff_golden(t) for t in TARIFFS_2025 + TARIFFS_2026])


def tariff_golden(t) -> dict:
    return record("tariff", {"tariff_code": t.code, "name": t.name, "standing_charge": t.standing,
                             "volumetric_rate": t.volumetric, "currency": "GBP",
                             "valid_from": t.valid_from.isoformat()})


# --------------------------------------------------------------------------- legacy_customers.py
_LEGACY = [
    ("SVW-081144", "Hereford Cattle Market Ltd", "admin@herefordmarket.example.co.uk", "01632 960044",
     "Roman Road, Hereford", "HR4 9AN", "NHH-AGRI", dt.date(1998, 4, 1)),
    ("SVW-083390", "Gloucester Docks Brasserie", "info@docksbrasserie.example.co.uk", "01632 960271",
     "Llanthony Warehouse, The Docks, Gloucester", "GL1 2EH", "NHH-STD", dt.date(2004, 6, 14)),
    ("SVW-086215", "Cheltenham Ladies Rowing Club", None, "07700 900066",
     "The Boathouse, Sandford Park, Cheltenham", "GL53 7AA", "NHH-STD", dt.date(2006, 9, 1)),
    ("SVW-090377", "Malvern Spring Bottling Co", "ops@malvernspring.example.co.uk", "01632 960390",
     "Wells Road, Malvern Wells", "WR14 4PA", "NHH-LV", dt.date(1995, 1, 9)),
    ("SVW-104522", "Riverside Care Home Ltd", "manager@riversidecare.example.co.uk", "01632 960417",
     "Riverside House, 3 Mill Lane, Tewkesbury", "GL20 5RT", "NHH-HC", dt.date(2011, 4, 1)),
    ("SVW-092761", "Ross-on-Wye Laundrette", "rosslaundrette@example.com", "01632 960733",
     "7 Brookend Street, Ross-on-Wye", "HR9 7EG", None, dt.date(2008, 2, 28)),
]


def legacy_py(path: Path) -> None:
    lines = ['"""Customer records kept by the old billing scripts (before the CRM migration in 2019).',
             "",
             "Dates are day/month/year. Postcodes were typed in by hand, so the format varies.",
             '"""', "", "CUSTOMERS = ["]
    golden = []
    for i, (acct, name, email, phone, addr, pc, tariff, since) in enumerate(_LEGACY):
        pc_written = pc.replace(" ", "") if i % 3 == 1 else (pc.lower() if i % 3 == 2 else pc)
        rec = {"acct": acct, "customer": name, "contact_email": email, "telephone": phone,
               "site_address": addr, "post_code": pc_written, "tariff": tariff,
               "since": since.strftime("%d/%m/%Y")}
        body = ", ".join(f'"{k}": {json.dumps(v, ensure_ascii=False)}' for k, v in rec.items() if v is not None)
        lines.append(f"    {{{body}}},")
        golden.append(customer_golden(acct, name, email, phone, addr, pc, tariff, since))
    lines += ["]", "", "",
              "def by_account(acct):",
              '    """Look up one customer record by account number."""',
              "    for c in CUSTOMERS:",
              '        if c["acct"] == acct:',
              "            return c",
              "    return None", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    write_expected(path, golden)


def write_all(out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [("customers.sql", customers_sql), ("billing_accounts.sql", billing_sql),
            ("tariffs.py", tariffs_py), ("legacy_customers.py", legacy_py)]
    paths = []
    for name, fn in jobs:
        fn(out_dir / name)
        paths.append(out_dir / name)
    return paths
