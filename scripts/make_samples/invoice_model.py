"""Invoice data: line items, totals, golden record, and the concrete documents each supplier issues."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from .common import SEED, money, uk_vat_spaced
from .data import (AQUAFLOW, BRUNEL, COTSWOLD_LABS, CUST, HARTWELL, PINNACLE, RHEINHYDRO, SURFACE_WATER_DAILY,
                   TARIFF_2025, UTILITY, WASTEWATER_RATE, Supplier)

SVW_NAME = UTILITY["name"]
SVW_ADDRESS = UTILITY["address_lines"]

# The utility as an issuer (its own bills to customers travel as email attachments).
SVW_ISSUER = Supplier("svw", SVW_NAME, UTILITY["address_lines"], UTILITY["vat"],
                      uk_vat_spaced(UTILITY["vat"]),
                      UTILITY["iban"], UTILITY["bic"], UTILITY["phone"], UTILITY["email"], "")


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    code: str = ""
    unit: str = ""

    def __post_init__(self):
        self.quantity = Decimal(str(self.quantity))
        self.unit_price = Decimal(str(self.unit_price))
        if self.unit_price.as_tuple().exponent > -2:      # prices always carry pence/cents
            self.unit_price = self.unit_price.quantize(Decimal("0.01"))
        exact = self.quantity * self.unit_price
        if money(exact) != exact:
            raise ValueError(f"line amount not exact to the penny: {self}")

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)

    def golden(self) -> dict:
        return {"description": self.description, "quantity": self.quantity,
                "unit_price": self.unit_price, "amount": self.amount}


@dataclass
class Invoice:
    supplier: Supplier
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    lines: list
    tax_rate: Decimal
    customer_name: str = SVW_NAME
    customer_account: str | None = None
    customer_address: list = field(default_factory=lambda: list(SVW_ADDRESS))
    credit: bool = False
    po_number: str | None = None
    reference: str | None = None          # e.g. the invoice a credit note cancels
    period: tuple | None = None           # billing period (utility bills)
    layout: str = ""
    filename: str = ""
    lines_stated: bool = True             # False: the layout prints no line items

    @property
    def currency(self) -> str:
        return self.supplier.currency

    @property
    def subtotal(self) -> Decimal:
        return money(sum((ln.amount for ln in self.lines), Decimal(0)))

    @property
    def tax(self) -> Decimal:
        return money(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    def golden(self) -> dict:
        f = {
            "invoice_number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "issuer_name": self.supplier.name,
            "issuer_address": self.supplier.address_one_line,
            "issuer_tax_id": self.supplier.tax_id,
            "customer_name": self.customer_name,
            "customer_account": self.customer_account,
            "currency": self.currency,
            "subtotal_amount": self.subtotal,
            "tax_amount": self.tax,
            "total_amount": self.total,
            "iban": self.supplier.iban,
        }
        if self.lines_stated:
            f["line_items"] = [ln.golden() for ln in self.lines]
        return {k: v for k, v in f.items() if v is not None}


def _rng(key: str) -> random.Random:
    return random.Random(SEED + zlib.crc32(key.encode()))


def _pick_lines(rng: random.Random, catalog: list, n: int, credit: bool = False) -> list:
    chosen = rng.sample(catalog, n)
    out = []
    for code, desc, lo, hi, qty_choices in chosen:
        price = Decimal(rng.randrange(lo * 100, hi * 100 + 1, 5)) / 100
        qty = rng.choice(qty_choices)
        out.append(Line(desc, qty, -price if credit else price, code=code))
    return out


# --------------------------------------------------------------------------- catalogues
AQUAFLOW_CAT = [
    ("MS-45", "Mechanical seal kit, 45 mm shaft", 180, 260, [1, 2, 4]),
    ("IMP-250", "Impeller, bronze, 250 mm", 640, 910, [1, 2]),
    ("RW-30", "Motor rewind, 30 kW, 4-pole", 1450, 1980, [1]),
    ("NRV-150", "Non-return valve DN150, PN16", 385, 520, [1, 2, 3]),
    ("BRG-6309", "Bearing set 6309-2Z (pair)", 48, 75, [2, 4, 6]),
    ("LAB-ENG", "Field engineer labour (hours)", 68, 78, [4, 6, 8, 12]),
    ("CALL-OUT", "Emergency call-out charge", 145, 195, [1]),
    ("VIB-SVY", "Vibration analysis survey, per pump", 220, 290, [2, 3, 5]),
    ("GSK-PK", "Gasket pack, DN100-DN200", 32, 55, [2, 5, 10]),
]
HARTWELL_CAT = [
    ("SH-IBC", "Sodium hypochlorite 14-15% (IBC 1000 L)", 310, 385, [2, 3, 4, 6]),
    ("FS-40B", "Ferric sulphate 40% solution, bulk (t)", 265, 330, [8, 12, 20, 24]),
    ("PAC-18", "Polyaluminium chloride PAC-18, bulk (t)", 390, 455, [5, 10, 15]),
    ("OPA-75", "Orthophosphoric acid 75%, 25 kg drum", 58, 79, [10, 20, 40]),
    ("CAU-47", "Sodium hydroxide 47%, bulk (t)", 420, 495, [6, 10]),
    ("HAUL", "Tanker delivery charge", 95, 180, [1, 2]),
    ("IBC-DEP", "IBC container deposit (returnable)", 85, 85, [2, 3, 4]),
]
RHEIN_CAT = [
    ("UWZ-50", "Ultraschall-Wasserzähler DN50, Typ UWZ-50", 612, 690, [10, 20, 40]),
    ("UWZ-80", "Ultraschall-Wasserzähler DN80, Typ UWZ-80", 845, 960, [5, 10, 15]),
    ("LRW-M2", "Funkmodul LoRaWAN, Typ LRW-M2", 74, 89, [20, 40, 60]),
    ("KAL-Z", "Kalibrierzertifikat je Zähler", 38, 46, [10, 20]),
    ("VERS", "Versand und Verpackung", 140, 260, [1]),
]
PINNACLE_CAT = [
    ("OS-LIC", "Outstation licence, per site per month", 11, 14, [180, 214, 236, 240]),
    ("SIM-4G", "4G data plan, per SIM per month", 4, 6, [180, 214, 236, 240]),
    ("HOST", "Hosted SCADA historian, monthly", 850, 850, [1]),
    ("SUP-HR", "Engineering support (hours)", 95, 95, [3, 5, 8]),
    ("RTU-RPL", "Replacement RTU battery pack", 62, 62, [4, 6, 10]),
]


# --------------------------------------------------------------------------- documents
def aquaflow_docs() -> list:
    rng = _rng("aquaflow")
    docs = []
    for seq, (num, issued, po, n) in enumerate([
        ("AF-2026-0142", dt.date(2026, 1, 9), "PO-SVW-55120", 4),
        ("AF-2026-0163", dt.date(2026, 2, 3), "PO-SVW-55291", 6),
        ("AF-2026-0178", dt.date(2026, 2, 24), None, 3),
    ]):
        docs.append(Invoice(AQUAFLOW, num, issued, issued + dt.timedelta(days=30), _pick_lines(rng, AQUAFLOW_CAT, n),
                            Decimal(20), customer_account=AQUAFLOW.account_for_svw, po_number=po, layout="a",
                            filename=f"aquaflow_{num[-4:]}.pdf"))
    first = docs[0]
    credit_lines = [Line(first.lines[0].description, first.lines[0].quantity, -first.lines[0].unit_price,
                         code=first.lines[0].code),
                    Line("Goodwill credit - delayed attendance", 1, Decimal("-75.00"), code="GW")]
    docs.append(Invoice(AQUAFLOW, "AF-CN-2026-0007", dt.date(2026, 1, 30), None, credit_lines, Decimal(20),
                        customer_account=AQUAFLOW.account_for_svw, credit=True, reference=first.number, layout="a",
                        filename="aquaflow_credit_note_0007.pdf"))
    return docs


def hartwell_docs() -> list:
    rng = _rng("hartwell")
    out = []
    for num, issued, n in [("HCS/118204", dt.date(2026, 1, 14), 3), ("HCS/118391", dt.date(2026, 2, 3), 4),
                           ("HCS/118477", dt.date(2026, 2, 12), 3), ("HCS/118622", dt.date(2026, 3, 2), 2)]:
        # Terms: end of the month following the invoice month.
        nxt = (issued.replace(day=1) + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
        out.append(Invoice(HARTWELL, num, issued, nxt, _pick_lines(rng, HARTWELL_CAT, n), Decimal(20),
                           customer_account=HARTWELL.account_for_svw, layout="b",
                           filename=f"hartwell_{num.split('/')[1]}.pdf"))
    return out


def rheinhydro_docs() -> list:
    rng = _rng("rheinhydro")
    out = []
    for num, issued, n in [("RE-2026-00417", dt.date(2026, 1, 20), 3), ("RE-2026-00488", dt.date(2026, 2, 3), 4)]:
        out.append(Invoice(RHEINHYDRO, num, issued, issued + dt.timedelta(days=30),
                           _pick_lines(rng, RHEIN_CAT, n), Decimal(0), customer_account=RHEINHYDRO.account_for_svw,
                           po_number=f"PO-SVW-{55300 + n * 7}", layout="c", filename=f"rheinhydro_{num[-5:]}.pdf"))
    # Training held in Cologne: place of supply Germany, so German VAT applies.
    seminar = [Line("Schulung Zählerfernauslesung, 2 Tage, Köln (je Teilnehmer)", 3, Decimal("1180.00"), code="SCH-2"),
               Line("Schulungsunterlagen und Verpflegung (je Teilnehmer)", 3, Decimal("145.50"), code="SCH-V")]
    out.append(Invoice(RHEINHYDRO, "RE-2026-00533", dt.date(2026, 2, 26), dt.date(2026, 3, 12), seminar,
                       Decimal(19), customer_account=RHEINHYDRO.account_for_svw, layout="c",
                       filename="rheinhydro_00533.pdf"))
    return out


def cotswold_docs() -> list:
    specs = [
        ("CAL-58213", dt.date(2026, 1, 22), "Drinking water compliance sampling, 14 samples", 14, "38.50"),
        ("CAL-58377", dt.date(2026, 2, 3), "Legionella analysis (ACOP L8), 6 samples", 6, "54.00"),
        ("CAL-58520", dt.date(2026, 2, 19), "Trade effluent COD/BOD/suspended solids suite", 1, "212.40"),
    ]
    return [Invoice(COTSWOLD_LABS, num, d, d + dt.timedelta(days=14), [Line(desc, q, Decimal(p))], Decimal(20),
                    customer_account=COTSWOLD_LABS.account_for_svw, layout="d", lines_stated=False,
                    filename=f"cotswold_labs_{num[-5:]}.pdf") for num, d, desc, q, p in specs]


_STREETS = ["Barton Street, Tewkesbury", "Bristol Road, Quedgeley", "London Road, Stroud", "Ross Road, Hereford",
            "Worcester Road, Malvern", "Station Road, Pershore", "High Street, Upton", "Tewkesbury Road, Gloucester",
            "Church Lane, Ledbury", "Gloucester Road, Cheltenham", "Mill Lane, Coleford", "Abbey Road, Evesham"]
_WORKS = [("Repair 100mm CI main", 1450, 2300), ("Repair 150mm CI main", 1900, 3100),
          ("Replace 25mm service pipe", 640, 980), ("Reinstate footway (per m2)", 68, 95),
          ("Valve replacement DN100", 1120, 1560), ("Hydrant repair and test", 420, 610),
          ("Traffic management, 2-way lights (day)", 310, 380), ("Leak location, night shift", 520, 690)]


def brunel_docs() -> list:
    rng = _rng("brunel")
    out = []
    for num, issued, n in [("BCE-INV-24190", dt.date(2026, 2, 3), 44), ("BCE-INV-24233", dt.date(2026, 2, 17), 6),
                           ("BCE-INV-24301", dt.date(2026, 3, 3), 9)]:
        lines = []
        for i in range(n):
            work, lo, hi = rng.choice(_WORKS)
            street = rng.choice(_STREETS)
            qty = rng.choice([4, 6, 8, 12]) if "m2" in work else (rng.choice([1, 2, 3]) if "day" in work else 1)
            price = Decimal(rng.randrange(lo * 100, hi * 100, 25)) / 100
            lines.append(Line(f"{work}, {street}", qty, price, code=f"J{25}-{rng.randrange(1000, 9999)}"))
        out.append(Invoice(BRUNEL, num, issued, issued + dt.timedelta(days=30), lines, Decimal(20),
                           customer_account=BRUNEL.account_for_svw, po_number="Framework SVW-MRF-2025",
                           layout="e", filename=f"brunel_{num[-5:]}.pdf"))
    return out


def pinnacle_docs() -> list:
    rng = _rng("pinnacle")
    out = []
    for num, issued, n in [("PTS-10388", dt.date(2026, 1, 2), 3), ("PTS-10412", dt.date(2026, 2, 3), 4),
                           ("PTS-10437", dt.date(2026, 3, 2), 5)]:
        out.append(Invoice(PINNACLE, num, issued, issued + dt.timedelta(days=30), _pick_lines(rng, PINNACLE_CAT, n),
                           Decimal(20), customer_account=PINNACLE.account_for_svw, layout="f",
                           filename=f"pinnacle_{num[-5:]}.pdf"))
    return out


def utility_bill(account: str, number: str, issued: dt.date, start: dt.date, end: dt.date, water_m3: int,
                 filename: str) -> Invoice:
    """A Severn Vale Water bill to one of its commercial customers (zero-rated for VAT)."""
    c = CUST[account]
    t = TARIFF_2025[c.tariff]
    days = (end - start).days + 1
    sewer_m3 = water_m3 * 95 // 100
    lines = [
        Line(f"Water supply standing charge ({t.code})", days, t.standing, unit="days"),
        Line("Water supply volumetric charge", water_m3, t.volumetric, unit="m3"),
        Line("Wastewater volumetric charge (95% return)", sewer_m3, WASTEWATER_RATE, unit="m3"),
        Line("Surface water drainage", days, SURFACE_WATER_DAILY, unit="days"),
    ]
    return Invoice(SVW_ISSUER, number, issued, issued + dt.timedelta(days=28), lines, Decimal(0),
                   customer_name=c.name, customer_account=c.account, customer_address=[c.address, c.postcode],
                   period=(start, end), layout="u", filename=filename)
