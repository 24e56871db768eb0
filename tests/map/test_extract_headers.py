"""E-mail header finder: the mail's Date header against dates the body prints (crafted .eml files)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

_HEAD = """From: Office Manager <office@buyer.test>
To: payables@buyer.test
Subject: Fwd: invoice to pay
Date: Thu, 19 Mar 2026 08:30:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

"""

# The invoice's text forwarded in the message body, with its own invoice date.
FORWARDED = _HEAD + """Please pay this one.

---------- Forwarded message ---------
Invoice No: Q-2208
Invoice Date: 05/02/2026
Services rendered
Subtotal: 250.00
VAT 20%: 50.00
Total: 300.00
"""

# The same mail whose body prints no date: the Date header is all there is.
UNDATED = _HEAD + """Please pay this one.

Invoice No: Q-2208
Subtotal: 250.00
VAT 20%: 50.00
Total: 300.00
"""


@pytest.fixture(scope="module")
def invoice() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _extract(tmp_path: Path, text: str, schema: Schema):
    path = tmp_path / "mail.eml"
    path.write_text(text, encoding="utf-8")
    doc = parse_bytes(path.read_bytes(), name=path.name)
    return extract_generic(doc, schema)


def test_labelled_body_date_beats_the_date_header(tmp_path: Path, invoice: Schema) -> None:
    fv = _extract(tmp_path, FORWARDED, invoice).fields["issue_date"]
    assert fv.value == date(2026, 2, 5)
    assert fv.evidence is not None and fv.evidence.text == "05/02/2026"


def test_date_header_stays_a_weak_fallback(tmp_path: Path, invoice: Schema) -> None:
    fv = _extract(tmp_path, UNDATED, invoice).fields.get("issue_date")
    assert fv is not None and fv.value == date(2026, 3, 19)
    assert fv.confidence < 0.6


def test_a_field_named_by_the_header_keeps_it(tmp_path: Path) -> None:
    """A support case's receipt time is the Date header, even when a quoted reply prints a 'Sent:' line."""
    schema = load_schema(SCHEMAS / "support_case.yaml")
    text = _HEAD.replace("Subject: Fwd: invoice to pay", "Subject: Low water pressure") + (
        "Our water pressure is low again.\n\n"
        "-----Original Message-----\nFrom: Support <support@utility.test>\n"
        "Sent: Monday, 2 March 2026 10:00\nTo: office@buyer.test\nSubject: Re: pressure\n\n"
        "We have checked the meter.\n")
    fv = _extract(tmp_path, text, schema).fields["received_at"]
    assert fv.value.date() == date(2026, 3, 19)
