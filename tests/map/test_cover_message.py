"""A message that only sends an invoice along is no invoice of its own: the attachment holds the
values, and the message lands in the catalog without a record instead of asking a person for them."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import LANDED
from pipelines.run.stages import with_parents

from .pdf_fixtures import H, draw_header_row_invoice, make_pdf

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _message(body: str, sender: str = "Accounts <accounts@supplier.example>") -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "payables@buyer.example"
    m["Subject"] = "Invoice"
    m["Date"] = "Tue, 03 Mar 2026 09:12:00 +0000"
    m["Message-ID"] = "<cover-1@supplier.example>"
    m.set_content(body)
    m.add_attachment(make_pdf(lambda c: draw_header_row_invoice(c, H - 60)), maintype="application",
                     subtype="pdf", filename="invoice.pdf")
    return bytes(m)


def _outcomes(data: bytes, tmp_path: Path):
    mapper = Mapper.from_dirs(SCHEMAS, tmp_path)  # no rules: everything generic
    doc = parse_bytes(data, name="mail.eml")
    return [(d.name, mapper.map(d, p), mapper.outcome_of(d, mapper.map(d, p))) for d, p in with_parents(doc)]


def test_a_cover_message_lands_without_a_record_and_its_attachment_carries_the_invoice(tmp_path):
    (msg, msg_map, msg_out), (att, att_map, att_out) = _outcomes(
        _message("Dear customer,\n\nplease find attached our invoice for last month.\n\nKind regards,\nAccounts\n"), tmp_path)
    assert msg_map.classification.schema == "invoice" and msg_map.classification.decided_by.startswith("cover_of_attachment")
    assert msg_out.outcome == LANDED and msg_out.records == []
    assert att == "invoice.pdf" and att_map.classification.schema == "invoice" and len(att_out.records) == 1


def test_a_message_that_states_the_whole_invoice_keeps_its_record(tmp_path):
    body = ("Supplier: Kestrel Tools Ltd\nInvoice No: KT-5521\nInvoice Date: 04/03/2026\n"
            "Total: 120.00 EUR\n\nA copy is attached.\n")
    (msg, msg_map, _), _ = _outcomes(_message(body), tmp_path)
    assert not msg_map.classification.decided_by.startswith("cover_of_attachment")
    assert len(msg_map.records) == 1


def test_a_body_stating_another_invoice_keeps_its_record_though_it_lacks_a_value(tmp_path):
    # The body names its own number and date but no total; the attachment states more values, yet
    # of another invoice: dropping the body's record would lose that invoice without a trace.
    body = "Supplier: Kestrel Tools Ltd\nInvoice No: KT-5521\nInvoice Date: 04/03/2026\n\nThe attached one is due too.\n"
    (msg, msg_map, msg_out), (_, _, att_out) = _outcomes(_message(body), tmp_path)
    assert not msg_map.classification.decided_by.startswith("cover_of_attachment")
    assert len(msg_out.records) == 1 and msg_out.records[0].fields["invoice_number"].value == "KT-5521"
    assert len(att_out.records) == 1


def test_a_cover_from_a_bare_address_is_still_a_cover(tmp_path):
    # No display name: the body's first words are a weak issuer guess, which names no other document.
    (msg, msg_map, msg_out), _ = _outcomes(_message("Please find attached our invoice.\n", "ap@supplier.example"), tmp_path)
    assert msg_map.classification.decided_by.startswith("cover_of_attachment") and msg_out.records == []
