"""Master data for the fictional Severn Vale Water world: the utility, its suppliers, customers, tariffs.

Everything is fictional: Ofcom drama numbers (01632 960xxx, 07700 900xxx), example.co.uk / example.com
domains, invented company numbers; IBANs and VAT numbers carry valid check digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .common import de_vat, make_iban, uk_vat, uk_vat_spaced

# --------------------------------------------------------------------------- the utility
UTILITY = {
    "name": "Severn Vale Water Ltd",
    "address_lines": ["Severn House", "12 Quay Street", "Gloucester GL1 2QZ"],
    "vat": uk_vat("3184472"),
    "iban": make_iban("GB", "NWBK60161341108822"),
    "bic": "NWBKGB2L",
    "sort_code": "60-16-13",
    "bank_account": "41108822",
    "phone": "01632 960000",
    "emergency_phone": "01632 960999",
    "email": "customer.services@severnvalewater.example.co.uk",
    "web": "www.severnvalewater.example.co.uk",
    "company_no": "04417283",
}
SUPPORT_ADDR = ("Severn Vale Water Customer Services", UTILITY["email"])


# --------------------------------------------------------------------------- customers
@dataclass(frozen=True)
class Customer:
    account: str
    name: str
    contact: str          # person who writes emails
    email: str
    phone: str            # as the customer would write it
    address: str          # single line, no postcode
    postcode: str
    tariff: str
    since: dt.date


CUSTOMERS = [
    Customer("SVW-100318", "Vale Community Health NHS Trust", "Gareth Pryce", "gareth.pryce@valehealth.example.co.uk",
             "01632 960512", "St Aldhelm's Community Hospital, Hospital Road, Ledbury", "HR8 2JD", "NHH-HC", dt.date(2003, 4, 1)),
    Customer("SVW-104522", "Riverside Care Home Ltd", "Helen Okafor", "manager@riversidecare.example.co.uk",
             "01632 960417", "Riverside House, 3 Mill Lane, Tewkesbury", "GL20 5RT", "NHH-HC", dt.date(2011, 4, 1)),
    Customer("SVW-109845", "The Old Bell Hotel Ltd", "Tom Ashworth", "accounts@oldbellhotel.example.co.uk",
             "01632 960188", "14 Church Street, Tewkesbury", "GL20 5PA", "NHH-STD", dt.date(2009, 10, 12)),
    Customer("SVW-112640", "Stroud Valley Print Works Ltd", "Priya Nair", "p.nair@stroudprint.example.co.uk",
             "01632 960655", "Fromeside Mill, London Road, Stroud", "GL5 2BU", "NHH-STD", dt.date(2014, 6, 2)),
    Customer("SVW-115092", "Bishop's Meadow Garden Centre Ltd", "Alan Whitlock", "alan@bishopsmeadow.example.co.uk",
             "07700 900318", "Ross Road, Hereford", "HR2 7RL", "NHH-STD", dt.date(2016, 3, 21)),
    Customer("SVW-118734", "Marlow Brewing Co Ltd", "Sam Marlow", "sam@marlowbrewing.example.co.uk",
             "07700 900284", "Unit 4, Brunswick Industrial Estate, Bristol Road, Gloucester", "GL2 5HP", "NHH-LV", dt.date(2018, 9, 1)),
    Customer("SVW-120377", "Pershore Fresh Produce Ltd", "Kasia Nowak", "finance@pershorefresh.example.co.uk",
             "01632 960741", "Station Road, Pershore", "WR10 2DB", "NHH-AGRI", dt.date(2012, 1, 16)),
    Customer("SVW-122956", "Forest of Dean Leisure Trust", "Darren Cole", "d.cole@fodleisure.example.co.uk",
             "01632 960362", "Kingsway Leisure Centre, Kingsway, Cinderford", "GL14 2AB", "NHH-LV", dt.date(2007, 5, 8)),
    Customer("SVW-127661", "Cheltenham Spa Laundry Services Ltd", "Maureen Fitch", "m.fitch@spalaundry.example.co.uk",
             "01632 960903", "Units 9-10, Kingsditch Trading Estate, Cheltenham", "GL51 9NX", "NHH-LV", dt.date(2015, 11, 30)),
    Customer("SVW-131207", "Greenacre Dairy Farms Ltd", "Rhys Morgan", "rhys@greenacredairy.example.co.uk",
             "07700 900731", "Greenacre Farm, Hanley Road, Upton upon Severn", "WR8 0PA", "NHH-AGRI", dt.date(2001, 7, 1)),
    Customer("SVW-133480", "Malvern Hills Primary Academy", "Fiona Bell", "office@malvernhillsprimary.example.co.uk",
             "01632 960227", "College Road, Great Malvern", "WR14 3DF", "NHH-EDU", dt.date(2019, 9, 1)),
    Customer("SVW-136902", "Forest Glade Caravan Park Ltd", "Neil Harding", "bookings@forestglade.example.co.uk",
             "07700 900150", "Speech House Road, Coleford", "GL16 7EL", "NHH-STD", dt.date(2010, 3, 15)),
    Customer("SVW-138114", "Severnside Self Storage Ltd", "Joanne Price", "joanne.price@severnsidestorage.example.co.uk",
             "01632 960874", "Unit 2, Waterwells Drive, Quedgeley, Gloucester", "GL2 2AT", "NHH-STD", dt.date(2021, 2, 1)),
    Customer("SVW-141058", "Abbey Dental Practice", "Dr Imran Sheikh", "reception@abbeydental.example.co.uk",
             "01632 960590", "22 Abbey Road, Evesham", "WR11 4SB", "NHH-STD", dt.date(2022, 8, 15)),
]
CUST = {c.account: c for c in CUSTOMERS}


# --------------------------------------------------------------------------- tariffs
@dataclass(frozen=True)
class Tariff:
    code: str
    name: str
    standing: Decimal      # GBP per day
    volumetric: Decimal    # GBP per m3 (water supply)
    valid_from: dt.date


_T = [
    ("NHH-STD", "Non-household standard", "0.82", "1.55", "0.86", "1.63"),
    ("NHH-LV", "Large volume user (over 50 Ml a year)", "3.40", "1.21", "3.57", "1.27"),
    ("NHH-AGRI", "Agricultural and horticultural", "0.64", "1.48", "0.67", "1.55"),
    ("NHH-EDU", "Schools and education", "0.78", "1.52", "0.82", "1.60"),
    ("NHH-HC", "Healthcare and care homes", "0.95", "1.50", "1.00", "1.58"),
]
TARIFFS_2025 = [Tariff(c, n, Decimal(s1), Decimal(v1), dt.date(2025, 4, 1)) for c, n, s1, v1, _, _ in _T]
TARIFFS_2026 = [Tariff(c, n, Decimal(s2), Decimal(v2), dt.date(2026, 4, 1)) for c, n, _, _, s2, v2 in _T]
TARIFF_2025 = {t.code: t for t in TARIFFS_2025}
WASTEWATER_RATE = Decimal("1.98")   # GBP per m3 returned to sewer (2025/26)
SURFACE_WATER_DAILY = Decimal("0.41")


# --------------------------------------------------------------------------- suppliers
@dataclass(frozen=True)
class Supplier:
    key: str
    name: str
    address_lines: list
    tax_id: str            # normalised: country prefix + digits, no spaces
    tax_id_printed: str
    iban: str
    bic: str
    phone: str
    email: str
    account_for_svw: str   # Severn Vale Water's customer number at this supplier
    currency: str = "GBP"
    extra: dict = field(default_factory=dict)

    @property
    def address_one_line(self) -> str:
        return ", ".join(self.address_lines)


def _uk(key, name, lines, vat7, bban, bic, phone, email, acct, **extra):
    vat = uk_vat(vat7)
    return Supplier(key, name, lines, vat, uk_vat_spaced(vat), make_iban("GB", bban), bic, phone, email, acct, extra=extra)


AQUAFLOW = _uk("aquaflow", "AquaFlow Pumps Ltd", ["Unit 7, Waterwells Business Park", "Gloucester GL2 2AA"],
               "2845512", "LOYD30945747219305", "LOYDGB21", "01632 960311", "accounts@aquaflowpumps.example.co.uk",
               "SEV001", company_no="06123987", sort_code="30-94-57", bank_account="47219305")
HARTWELL = _uk("hartwell", "Hartwell Chemical Supplies Ltd", ["Hartwell Works", "Canal Side", "Stoke Prior",
               "Bromsgrove B60 4LX"], "7719034", "BARC20325370961154", "BARCGB22", "01632 960477",
               "sales.ledger@hartwellchem.example.co.uk", "SEVV-0042", company_no="02291755")
COTSWOLD_LABS = _uk("cotswoldlabs", "Cotswold Analytical Laboratories Ltd", ["4 Tetbury Road", "Cirencester GL7 1US"],
                    "5530218", "HBUK40472231447790", "HBUKGB4B", "01632 960829", "billing@cotswoldlabs.example.co.uk",
                    "40-1187")
BRUNEL = _uk("brunel", "Brunel Civil Engineering Ltd", ["Brunel House", "88 Temple Way", "Bristol BS2 0BY"],
             "4102669", "NWBK56003620914377", "NWBKGB2L", "01632 960640", "invoices@brunelcivils.example.co.uk",
             "SVW/FW/2025", company_no="03877120")
PINNACLE = _uk("pinnacle", "Pinnacle Telemetry Solutions Ltd", ["Suite 3, Orchard House", "Worcester Road",
               "Malvern WR14 1JJ"], "9026631", "LOYD30966100452871", "LOYDGB21", "01632 960702",
               "ar@pinnacletelemetry.example.com", "C-00291")
_de_vat = de_vat("28734511")
RHEINHYDRO = Supplier("rheinhydro", "Rheinhydro Messtechnik GmbH", ["Industriestraße 41", "50735 Köln", "Deutschland"],
                      _de_vat, f"DE {_de_vat[2:5]} {_de_vat[5:8]} {_de_vat[8:]}",
                      make_iban("DE", "370400440581764200"), "COBADEFFXXX", "+49 221 555 01 20",
                      "buchhaltung@rheinhydro.example.com", "10488", currency="EUR",
                      extra={"hrb": "HRB 88412", "court": "Amtsgericht Köln", "md": "Dr. Katrin Vogt"})
