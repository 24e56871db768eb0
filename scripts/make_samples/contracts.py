"""Service contracts as .docx (python-docx): headings, parties, dates, term, law, value, clauses, tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .common import d_long, d_ordinal, normalize_zip, record, write_expected

SVW = "Severn Vale Water Ltd"


def d_us_long(d: dt.date) -> str:  # March 1, 2026
    return f"{d.strftime('%B')} {d.day}, {d.year}"


SVW_DESC = ("a company incorporated in England and Wales with company number 04417283 whose registered office is at "
            "Severn House, 12 Quay Street, Gloucester GL1 2QZ")


@dataclass
class Contract:
    file: str
    title: str
    parties: list                  # [(name, description)] in the order the document names them
    effective: dt.date
    term_months: int
    term_words: str                # how the term is written
    end: dt.date | None            # None + rolling=True -> golden null; None otherwise -> not stated
    law: str                       # golden governing_law
    law_clause: str
    value: Decimal
    currency: str
    value_text: str
    date_fmt: object = d_long
    rolling: bool = False
    state_end: bool = True
    numbering: str = "manual"      # "manual" (1. / 1.1 typed) or "auto" (Word list numbering)
    table: tuple = ()              # (caption, header, rows)
    ref: str = ""
    extra_clauses: list = field(default_factory=list)

    def golden(self) -> dict:
        f = {"title": self.title, "parties": [p for p, _ in self.parties],
             "effective_date": self.effective.isoformat()}
        if self.rolling:
            f["end_date"] = None
        elif self.state_end and self.end:
            f["end_date"] = self.end.isoformat()
        f.update(term=self.term_months, governing_law=self.law, contract_value=self.value, currency=self.currency)
        return record("contract", f)


def _clauses(c: Contract) -> list:
    fmt = c.date_fmt
    other = [p for p, _ in c.parties if p != SVW][0]
    term = f"This Agreement shall commence on {fmt(c.effective)} (the \"Effective Date\") and shall continue for {c.term_words}"
    if c.rolling:
        term += (" (the \"Initial Term\"). Thereafter it shall continue in force until terminated by either party "
                 "giving not less than three (3) months' written notice.")
    elif c.state_end and c.end:
        term += f", expiring on {fmt(c.end)}, unless terminated earlier in accordance with its terms."
    else:
        term += f", unless terminated earlier in accordance with clause {8 + len(c.extra_clauses)} (Termination)."
    return [
        ("Definitions and interpretation", [
            "In this Agreement the following definitions apply: \"Services\" means the services described in the "
            "Schedule; \"Sites\" means the operational sites of the Customer notified to the Supplier from time to "
            "time; \"Business Day\" means a day other than a Saturday, Sunday or public holiday in England.",
            "Clause headings shall not affect the interpretation of this Agreement."]),
        ("Commencement and term", [term]),
        ("Services", [
            f"{other} shall provide the Services with the skill, care and diligence expected of a competent "
            "supplier experienced in the water industry and in accordance with Good Industry Practice.",
            "The Supplier shall comply with the Customer's site safety rules, the Water Supply (Water Quality) "
            "Regulations where applicable, and all reasonable instructions of the Customer's representative."]),
        ("Price and payment", [
            c.value_text,
            "The Supplier shall invoice monthly in arrears. The Customer shall pay each valid and undisputed invoice "
            "within thirty (30) days of receipt.",
            "All sums are exclusive of VAT, which shall be payable in addition where applicable."]),
        ("Service levels", [
            "The Supplier shall meet the service levels set out in the Schedule. Persistent failure to meet a service "
            "level shall entitle the Customer to service credits as set out in the Schedule."]),
        *c.extra_clauses,
        ("Liability and insurance", [
            "Neither party limits its liability for death or personal injury caused by its negligence, or for fraud.",
            "The Supplier shall maintain public liability insurance of not less than ten million pounds sterling "
            "(or its equivalent) for any one claim."]),
        ("Confidentiality and data protection", [
            "Each party shall keep confidential all information of the other party disclosed under this Agreement "
            "and shall process personal data only in accordance with applicable data protection law."]),
        ("Termination", [
            "Either party may terminate this Agreement by written notice if the other party commits a material breach "
            "which is not remedied within thirty (30) days of notice of the breach.",
            "The Customer may terminate for convenience on six (6) months' written notice."]),
        ("Governing law and jurisdiction", [c.law_clause]),
    ]


def _add_clauses(d: docx.Document, c: Contract) -> None:
    for i, (heading, subs) in enumerate(_clauses(c), start=1):
        if c.numbering == "auto":
            p = d.add_paragraph(style="List Number")
            p.add_run(heading).bold = True
            for s in subs:
                d.add_paragraph(s, style="List Continue")
        else:
            d.add_heading(f"{i}. {heading}", level=2)
            for j, s in enumerate(subs, start=1):
                p = d.add_paragraph(f"{i}.{j}\t{s}")
                p.paragraph_format.left_indent = Pt(28)
                p.paragraph_format.first_line_indent = Pt(-28)


def write_contract(c: Contract, path: Path) -> None:
    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = "Calibri" if c.currency != "USD" else "Times New Roman"
    st.font.size = Pt(10.5)
    sec = d.sections[0]
    sec.header.paragraphs[0].text = f"{SVW} - {c.ref} - Commercial in Confidence"
    sec.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sec.footer.paragraphs[0].text = f"{c.title} | {c.ref} | Execution version"
    sec.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER

    d.add_heading(c.title, level=0)
    if c.ref.startswith("MSA"):
        d.add_paragraph(f"This Master Subscription Agreement is entered into as of {c.date_fmt(c.effective)} by and "
                        f"between {c.parties[0][0]}, {c.parties[0][1]}, and {c.parties[1][0]}, {c.parties[1][1]}.")
    else:
        d.add_paragraph(f"Contract reference: {c.ref}")
        d.add_paragraph(f"THIS AGREEMENT is made on {d_ordinal(c.effective - dt.timedelta(days=14))}")
        d.add_paragraph("BETWEEN:")
        if c.numbering == "auto":
            t = d.add_table(rows=1, cols=3)
            t.style = "Table Grid"
            for cell, txt in zip(t.rows[0].cells, ["Party", "Details", "Role"]):
                cell.text = txt
            for (name, desc), role in zip(c.parties, ["Customer", "Supplier"]):
                row = t.add_row().cells
                row[0].text, row[1].text, row[2].text = name, desc, role
        else:
            for n, (name, desc) in enumerate(c.parties, start=1):
                role = "the Customer" if name == SVW else "the Supplier"
                d.add_paragraph(f"({n})\t{name.upper()}, {desc} (\"{role.split()[1]}\"); and" if n == 1 else
                                f"({n})\t{name.upper()}, {desc} (\"{role.split()[1]}\").")
        d.add_paragraph(f"together the \"parties\". This is the agreement between {c.parties[0][0]} and "
                        f"{c.parties[1][0]} for the services described below.")
    d.add_heading("Agreed terms", level=1)
    _add_clauses(d, c)

    caption, header, rows = c.table
    d.add_heading(caption, level=1)
    t = d.add_table(rows=1, cols=len(header))
    t.style = "Light Grid Accent 1" if c.numbering == "manual" else "Table Grid"
    for cell, txt in zip(t.rows[0].cells, header):
        cell.text = txt
    for r in rows:
        for cell, txt in zip(t.add_row().cells, r):
            cell.text = txt

    d.add_paragraph()
    d.add_paragraph("Signed by the authorised representatives of the parties:")
    sig = d.add_table(rows=4, cols=2)
    for col, (name, _) in enumerate(c.parties):
        sig.cell(0, col).text = f"For and on behalf of {name}"
        sig.cell(1, col).text = "Signature: ______________________"
        sig.cell(2, col).text = "Name / title:"
        sig.cell(3, col).text = "Date:"

    cp = d.core_properties
    cp.author = "Severn Vale Water Legal Services"
    cp.last_modified_by = "Commercial Contracts Team"
    cp.title = c.title
    cp.subject = c.ref
    cp.comments = ""
    cp.keywords = "contract; procurement"
    cp.category = "Contract"
    cp.revision = 4
    cp.created = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.timezone.utc)
    cp.modified = dt.datetime(2026, 1, 15, 16, 45, tzinfo=dt.timezone.utc)
    cp.last_printed = dt.datetime(2026, 1, 15, 16, 50, tzinfo=dt.timezone.utc)
    d.save(str(path))
    normalize_zip(path)


def _gbp(v: str) -> Decimal:
    return Decimal(v)


CONTRACTS = [
    Contract("framework_mains_repair_brunel.docx", "Framework Agreement for Mains Repair and Maintenance Services",
             [(SVW, SVW_DESC), ("Brunel Civil Engineering Ltd", "a company incorporated in England and Wales with "
              "company number 03877120 whose registered office is at Brunel House, 88 Temple Way, Bristol BS2 0BY")],
             dt.date(2025, 4, 1), 36, "a period of thirty-six (36) months", dt.date(2028, 3, 31), "England and Wales",
             "This Agreement and any dispute or claim arising out of it shall be governed by and construed in "
             "accordance with the laws of England and Wales, and the courts of England and Wales shall have "
             "exclusive jurisdiction.", _gbp("4250000.00"), "GBP",
             "The estimated total value of this Agreement over the Term is £4,250,000.00 (four million two hundred "
             "and fifty thousand pounds sterling), payable at the rates in the Schedule of Rates.",
             ref="SVW-C-2025-014",
             extra_clauses=[
                 ("Call-off orders", [
                     "The Customer may from time to time issue a Works Order under this Agreement. Each Works Order "
                     "forms a separate contract incorporating these terms.",
                     "The Customer gives no guarantee of any minimum volume of Works Orders."]),
                 ("Health, safety and environment", [
                     "The Supplier shall act as principal contractor under the Construction (Design and Management) "
                     "Regulations 2015 for each Works Order unless the Works Order states otherwise."])],
             table=("Schedule of Rates", ["Item", "Activity", "Unit", "Rate (£)"],
                    [["1", "Repair 100mm cast iron main", "each", "1,850.00"],
                     ["2", "Repair 150mm cast iron main", "each", "2,400.00"],
                     ["3", "Replace 25mm service pipe", "each", "780.00"],
                     ["4", "Reinstate footway", "m2", "82.00"],
                     ["5", "Traffic management, 2-way lights", "day", "345.00"]])),
    Contract("chemical_supply_hartwell.docx", "Agreement for the Supply of Water Treatment Chemicals",
             [(SVW, SVW_DESC), ("Hartwell Chemical Supplies Ltd", "registered in England under number 02291755, of "
              "Hartwell Works, Canal Side, Stoke Prior, Bromsgrove B60 4LX")],
             dt.date(2026, 1, 1), 36, "3 years", None, "England and Wales",
             "This Agreement is governed by the law of England and Wales. The parties submit to the exclusive "
             "jurisdiction of the English courts.", _gbp("1180000.00"), "GBP",
             "The Customer estimates its purchases under this Agreement at GBP 1,180,000 in total over the term. "
             "Prices are fixed for the first twelve months and then indexed annually.",
             state_end=False, numbering="auto", ref="SVW-C-2025-031",
             table=("Schedule 1 - Price Schedule", ["Product", "Pack", "Price per tonne / unit (GBP)"],
                    [["Sodium hypochlorite 14-15%", "IBC 1000 L", "345.00"],
                     ["Ferric sulphate 40%", "Bulk tanker", "298.00"],
                     ["Polyaluminium chloride PAC-18", "Bulk tanker", "425.00"],
                     ["Orthophosphoric acid 75%", "25 kg drum", "68.00"]])),
    Contract("meter_supply_rheinhydro.docx", "Smart Water Meter Supply and Data Services Agreement",
             [(SVW, SVW_DESC), ("Rheinhydro Messtechnik GmbH", "a limited liability company incorporated in Germany "
              "(Amtsgericht Köln HRB 88412) whose principal office is at Industriestraße 41, 50735 Köln, Germany")],
             dt.date(2025, 9, 15), 48, "four (4) years", dt.date(2029, 9, 14), "England and Wales",
             "This Agreement shall be governed by English law, being the laws of England and Wales. The United "
             "Nations Convention on Contracts for the International Sale of Goods shall not apply.",
             _gbp("2640000.00"), "EUR",
             "The total contract value is EUR 2,640,000.00 (two million six hundred and forty thousand euros), "
             "comprising meter supply and five years of data services as priced in the Schedule.",
             ref="SVW-C-2025-022", date_fmt=d_long,
             table=("Schedule - Pricing", ["Item", "Quantity", "Unit price (EUR)", "Total (EUR)"],
                    [["Ultrasonic meter DN50", "1,200", "640.00", "768,000.00"],
                     ["Ultrasonic meter DN80", "600", "880.00", "528,000.00"],
                     ["LoRaWAN radio module", "1,800", "80.00", "144,000.00"],
                     ["Data platform service (per year)", "4", "300,000.00", "1,200,000.00"]])),
    Contract("laboratory_services_cotswold.docx", "Laboratory Analytical Services Contract",
             [(SVW, SVW_DESC), ("Cotswold Analytical Laboratories Ltd", "of 4 Tetbury Road, Cirencester GL7 1US")],
             dt.date(2025, 10, 1), 12, "an initial term of twelve (12) months", None, "England and Wales",
             "This Contract is governed by the laws of England and Wales.", _gbp("96000.00"), "GBP",
             "The Contract Price for the Initial Term is £96,000.00 (ninety-six thousand pounds) exclusive of VAT.",
             rolling=True, numbering="auto", ref="SVW-C-2025-027",
             table=("Schedule - Analytical Suites", ["Suite", "Turnaround", "Price per sample (£)"],
                    [["Drinking water compliance", "5 Business Days", "38.50"],
                     ["Legionella (ACOP L8)", "10 Business Days", "54.00"],
                     ["Trade effluent COD/BOD/SS", "5 Business Days", "212.40"]])),
    Contract("leak_detection_caledonian.docx", "Active Leakage Control Services Agreement",
             [(SVW, SVW_DESC), ("Caledonian Leak Detection Ltd", "a company incorporated in Scotland (company "
              "number SC412877) whose registered office is at 40 West Nile Street, Glasgow G1 2PR")],
             dt.date(2026, 2, 1), 24, "2 years", dt.date(2028, 1, 31), "Scotland",
             "This Agreement shall be governed by and construed in accordance with the law of Scotland and the "
             "parties prorogate the exclusive jurisdiction of the Scottish courts.", _gbp("485000.00"), "GBP",
             "In consideration of the Services the Customer shall pay the Supplier a total of £485,000.00 over the "
             "term, invoiced in equal monthly instalments.", ref="SVW-C-2026-003", date_fmt=d_ordinal,
             table=("Schedule - Service Levels", ["Measure", "Target", "Service credit"],
                    [["Leak location report issued", "within 48 hours", "2% of monthly fee"],
                     ["District meter areas surveyed per month", "at least 12", "5% of monthly fee"],
                     ["Repeat visits required", "below 5%", "1% of monthly fee"]])),
    Contract("telemetry_saas_hudson.docx", "Master Subscription Agreement",
             [("Hudson River Analytics, Inc.", "a Delaware corporation with offices at 250 Hudson Street, New "
               "York, NY 10013 (\"Hudson\")"), (SVW, "a company registered in England and Wales (\"Customer\")")],
             dt.date(2026, 3, 1), 36, "thirty-six (36) months", dt.date(2029, 2, 28), "New York",
             "This Agreement shall be governed by the laws of the State of New York, without regard to its "
             "conflict of laws principles. Each party submits to the exclusive jurisdiction of the state and federal "
             "courts located in New York County, New York.", _gbp("312500.00"), "USD",
             "Customer shall pay subscription fees totalling USD 312,500.00 for the Subscription Term, invoiced "
             "annually in advance.", ref="MSA-2026-0117", date_fmt=d_us_long,
             table=("Order Form - Subscription Fees", ["Service", "Year 1 (USD)", "Year 2 (USD)", "Year 3 (USD)"],
                    [["Leak analytics platform", "85,000.00", "85,000.00", "85,000.00"],
                     ["Implementation services", "42,500.00", "0.00", "0.00"],
                     ["Premium support", "5,000.00", "5,000.00", "5,000.00"]])),
]


def write_all(out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for c in CONTRACTS:
        p = out_dir / c.file
        write_contract(c, p)
        write_expected(p, [c.golden()])
        paths.append(p)
    return paths

