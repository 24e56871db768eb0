"""Write the support emails as .eml (Python `email`) and Outlook .msg (own writer), with golden records."""

from __future__ import annotations

import datetime as dt
import hashlib
import html as htmllib
import io
import tempfile
import textwrap
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .common import e164_uk, record, write_expected
from .data import SUPPORT_ADDR
from .email_cases import Case, cases
from .invoice_model import utility_bill
from .invoice_pdf import render_bytes
from .msgfile import MAPI_CC, MAPI_TO, MsgAttachment, MsgRecipient, build_msg


def make_bills() -> dict:
    d = dt.date
    return {
        "bell": utility_bill("SVW-109845", "SVW-B-2026-004512", d(2026, 1, 14), d(2025, 10, 1), d(2025, 12, 31), 412,
                             "SVW_bill_SVW-B-2026-004512.pdf"),
        "laundry": utility_bill("SVW-127661", "SVW-B-2026-005377", d(2026, 2, 4), d(2025, 11, 1), d(2026, 1, 31), 2860,
                                "Bill_SVW-B-2026-005377.pdf"),
        "pershore": utility_bill("SVW-120377", "SVW-B-2026-006021", d(2026, 2, 12), d(2025, 11, 1), d(2026, 1, 31),
                                 1190, "SevernValeWater_Bill_Feb2026.pdf"),
        "kingsway": utility_bill("SVW-122956", "SVW-B-2026-004988", d(2026, 1, 22), d(2025, 7, 1), d(2025, 12, 31),
                                 3420, "SVW-B-2026-004988.pdf"),
    }


def meter_photo() -> bytes:
    """A crude but recognisable photo of a water meter register (reading 07483, serial 21K118803)."""
    img = Image.new("RGB", (800, 600), (58, 64, 60))
    d = ImageDraw.Draw(img)
    d.ellipse((130, 40, 670, 580), fill=(20, 24, 28), outline=(150, 150, 140), width=10)
    d.ellipse((170, 80, 630, 540), fill=(232, 230, 222))
    d.rectangle((250, 230, 550, 310), fill=(15, 15, 15))
    big = ImageFont.load_default(size=64)
    small = ImageFont.load_default(size=22)
    for i, ch in enumerate("07483"):
        x = 258 + i * 58
        d.rectangle((x, 238, x + 50, 302), fill=(240, 240, 240) if i < 4 else (200, 30, 30))
        d.text((x + 8, 236), ch, fill=(10, 10, 10), font=big)
    d.text((350, 320), "m³", fill=(20, 20, 20), font=small)
    d.text((300, 170), "No. 21K118803", fill=(30, 30, 30), font=small)
    d.text((330, 400), "Q3 = 4 m³/h", fill=(40, 40, 40), font=small)
    d.text((325, 440), "R160  2021", fill=(40, 40, 40), font=small)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=82, optimize=False)
    return buf.getvalue()


def _is_prose(par: str) -> bool:
    lines = par.split("\n")
    # Hard-wrapped prose: every line but the last is long. Signatures, address blocks, quoted text and
    # forwarded-header blocks have short lines and keep their line breaks.
    return (any(len(ln) > 76 for ln in lines) and all(len(ln) >= 60 for ln in lines[:-1])
            and not any(ln.startswith((">", "-----")) for ln in lines))


def unwrap(text: str) -> str:
    """Prose paragraphs as single lines (how Outlook stores a plain-text body)."""
    return "\n\n".join(" ".join(p.split("\n")) if _is_prose(p) else p for p in text.split("\n\n"))


def reflow(text: str, width: int = 72) -> str:
    """Prose paragraphs hard-wrapped at `width` (how most mail clients send text/plain)."""
    return "\n\n".join(textwrap.fill(" ".join(p.split("\n")), width) if _is_prose(p) else p
                       for p in text.split("\n\n"))


def _html(text: str) -> str:
    text = unwrap(text)
    paras = [p for p in text.strip().split("\n\n")]
    body = "\n".join("<p>" + "<br>\n".join(htmllib.escape(ln) for ln in p.split("\n")) + "</p>" for p in paras)
    return ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n</head>\n'
            '<body>\n<div style="font-family:Calibri,Arial,Helvetica,sans-serif;font-size:11pt;color:#222222">\n'
            f"{body}\n</div>\n</body>\n</html>\n")


def _ids(case: Case) -> tuple:
    h = hashlib.sha1(case.file.encode()).hexdigest()
    domain = case.customer.email.split("@")[1]
    return f"<{h[:12].upper()}.{h[12:20]}@{domain}>", h


def _attachments(case: Case) -> list:
    """[(filename, bytes, maintype, subtype, golden_record_or_None)]"""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, obj in case.attachments:
            if kind == "bill":
                rec = record("invoice", obj.golden(), source=f"attachment:{obj.filename}")
                out.append((obj.filename, render_bytes(obj, Path(tmp)), "application", "pdf", rec))
            elif kind == "photo":
                out.append((obj, meter_photo(), "image", "jpeg", None))
    return out


def _message(case: Case, atts: list) -> EmailMessage:
    c = case.customer
    msg_id, h = _ids(case)
    domain = c.email.split("@")[1]
    msg = EmailMessage(policy=policy.default)
    msg["Return-Path"] = f"<{c.email}>"
    received = case.date + dt.timedelta(seconds=2 + int(h[:2], 16) % 9)
    msg["Received"] = (f"from mail.{domain} (mail.{domain} [192.0.2.{int(h[2:4], 16) % 200 + 10}]) by "
                       f"mx1.severnvalewater.example.co.uk (Postfix) with ESMTPS id {h[20:30].upper()} "
                       f"for <{SUPPORT_ADDR[1]}>; {format_datetime(received)}")
    msg["From"] = formataddr((c.contact, c.email))
    msg["To"] = formataddr(SUPPORT_ADDR)
    if case.cc:
        msg["Cc"] = ", ".join(formataddr(x) for x in case.cc)
    msg["Subject"] = case.subject
    msg["Date"] = format_datetime(case.date)
    msg["Message-ID"] = msg_id
    if case.in_reply_to:
        msg["In-Reply-To"] = case.in_reply_to
        msg["References"] = case.in_reply_to
    msg["X-Mailer"] = case.mailer
    if case.priority in ("emergency", "high"):
        msg["X-Priority"] = "1 (Highest)"
        msg["Importance"] = "high"
    if case.html == "only":
        msg.set_content(_html(case.body), subtype="html")
    else:
        msg.set_content(reflow(case.body))
        if case.html == "alt":
            msg.add_alternative(_html(case.body), subtype="html")
    for fn, data, main, sub, _ in atts:
        msg.add_attachment(data, maintype=main, subtype=sub, filename=fn)
    n = 0
    for part in msg.walk():
        if part is not msg and "MIME-Version" in part:
            del part["MIME-Version"]   # the email package stamps it on sub-parts; mail clients don't
        if part.is_multipart():
            part.set_boundary(f"----=_NextPart_{h[30:40]}_{n:02d}")
            n += 1
    return msg


def golden(case: Case) -> dict:
    c = case.customer
    f = {"received_at": case.date.isoformat(), "channel": "email", "customer_name": c.name,
         "customer_email": c.email}
    if case.phone:
        f["customer_phone"] = e164_uk(case.phone)
    if case.account_stated:
        f["account_number"] = c.account
    if case.address_stated:
        f["site_address"] = c.address
        f["postcode"] = c.postcode
    f.update(category=case.category, priority=case.priority, summary=case.subject)
    return record("support_case", f)


def write_eml(case: Case, path: Path) -> list:
    atts = _attachments(case)
    msg = _message(case, atts)
    linesep = "\r\n" if case.crlf else "\n"
    path.write_bytes(msg.as_bytes(policy=policy.default.clone(linesep=linesep)))
    return [golden(case)] + [a[4] for a in atts if a[4]]


def write_msg(case: Case, path: Path) -> list:
    atts = _attachments(case)
    msg = _message(case, atts)
    headers = None
    if case.transport_headers:
        raw = msg.as_string(policy=policy.default.clone(linesep="\r\n"))
        headers = raw.split("\r\n\r\n", 1)[0] + "\r\n\r\n"
    c = case.customer
    recips = [MsgRecipient(SUPPORT_ADDR[0], SUPPORT_ADDR[1], MAPI_TO)]
    recips += [MsgRecipient(name, addr, MAPI_CC) for name, addr in case.cc]
    data = build_msg(
        subject=case.subject, sender_name=c.contact, sender_email=c.email, recipients=recips, sent=case.date,
        body=unwrap(case.body).replace("\n", "\r\n"), html=_html(case.body) if case.html != "none" else None,
        message_id=msg["Message-ID"], in_reply_to=case.in_reply_to, transport_headers=headers,
        attachments=tuple(MsgAttachment(fn, b, f"{m}/{s}") for fn, b, m, s, _ in atts),
        importance=2 if case.priority in ("emergency", "high") else 1)
    path.write_bytes(data)
    return [golden(case)] + [a[4] for a in atts if a[4]]


def write_all(out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases(make_bills()):
        path = out_dir / case.file
        records = write_eml(case, path) if case.fmt == "eml" else write_msg(case, path)
        write_expected(path, records)
        written.append(path)
    return written
