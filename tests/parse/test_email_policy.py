"""The e-mail policy that parses each header once reads every message as the stdlib default does."""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from pathlib import Path

from pipelines.parse.email_policy import POLICY

ROOT = Path(__file__).resolve().parents[2]

_CRAFTED = (
    b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>\r\n"
    b"To: \"Smith, Ann\" <ann@example.com>,\r\n  bob@example.com\r\n"
    b"Subject: =?iso-8859-1?q?Re=3A_R=E9sum=E9?= and a\r\n folded tail\r\n"
    b"Date: Tue, 3 Mar 2026 09:15:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    b"--b1\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\r\nHello\r\n"
    b"--b1\r\nContent-Type: application/pdf\r\n"
    b"Content-Disposition: attachment;\r\n filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\r\n\r\n%PDF-1.4\r\n"
    b"--b1--\r\n"
)


def _view(msg: Message) -> list[object]:
    """Everything the parser reads from a message, for every part."""
    out: list[object] = []
    for name in ("from", "to", "cc", "subject", "date", "message-id"):
        out.append([str(v) for v in msg.get_all(name) or []])
    for part in msg.walk():
        out.append((part.get_content_type(), part.get_content_maintype(), part.get_content_disposition(),
                    part.get_filename(), part.get_content_charset(), part.get("content-id"),
                    [type(d).__name__ for d in part.defects]))
    return out


def test_reads_messages_as_the_default_policy_does() -> None:
    samples = sorted((ROOT / "data_samples").rglob("*.eml"))
    assert samples
    for data in [_CRAFTED, *(p.read_bytes() for p in samples)]:
        ours = email.message_from_bytes(data, policy=POLICY)
        stdlib = email.message_from_bytes(data, policy=email.policy.default)
        assert _view(ours) == _view(stdlib)


def test_a_header_is_parsed_once_and_shared() -> None:
    msg = email.message_from_bytes(_CRAFTED, policy=POLICY)
    part = list(msg.walk())[2]
    assert part.get_filename() == "Rechnung März.pdf"
    assert part.get("content-disposition") is part.get("content-disposition")
    again = email.message_from_bytes(_CRAFTED, policy=POLICY)
    assert again.get("from") is msg.get("from")
    assert str(msg["from"]) == "Jürgen Müller <jm@example.org>"
    assert msg["to"].addresses[0].display_name == "Smith, Ann"
    # the stdlib default parses on every access
    plain = email.message_from_bytes(_CRAFTED, policy=email.policy.default)
    assert plain.get("from") is not plain.get("from")
