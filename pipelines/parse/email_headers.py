"""E-mail headers, whichever container they came from (.eml or .msg): addresses, dates, and the
header elements and `metadata["email"]` they become."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from pipelines.model.document import Kind
from pipelines.parse.builder import TextBuilder

# Headers kept as elements, in the order they are emitted (the same for .eml and .msg).
HEADER_ORDER = ("from", "to", "cc", "bcc", "reply-to", "date", "subject", "message-id", "in-reply-to")
HEADER_LABELS = {
    "from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc", "reply-to": "Reply-To", "date": "Date",
    "subject": "Subject", "message-id": "Message-ID", "in-reply-to": "In-Reply-To",
}
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to"})

_WS = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# Header values


def clean_header_value(value: Any) -> str:
    """One line of text: folded header lines joined, control characters dropped."""
    text = str(value or "")
    text = _WS.sub(" ", text.replace("\x00", "")).strip()
    return text


def split_addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs; accepts ',' and Outlook's ';' as separators."""
    if not raw:
        return []
    # Outlook joins recipients with ';'. Outside quotes it is never part of an address.
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    angle = 0
    for ch in raw:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle += 1
        elif ch == ">" and not quoted and angle:
            angle -= 1
        if ch == ";" and not quoted and not angle:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    out: list[tuple[str, str]] = []
    for name, addr in getaddresses([p for p in parts if p.strip()]):
        name, addr = name.strip(), addr.strip()
        if not name and not addr:
            continue
        out.append((name, addr))
    return out


def format_address(name: str, addr: str) -> str:
    if name and addr:
        if re.search(r'[,;:<>@"()\[\]\\]', name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return addr or name


_ISO_START = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def parse_date(raw: str) -> tuple[str | None, bool]:
    """(ISO 8601 with offset or None, whether the offset was assumed to be UTC).

    RFC 5322 dates first, then ISO 8601 (which Python's email package rejects), then a few
    loose forms seen in exported mail.
    """
    text = clean_header_value(raw)
    if not text:
        return None, False
    dt: datetime | None = None
    candidates = []
    if _ISO_START.match(text):
        candidates = [_iso, _rfc2822, _loose]
    else:
        candidates = [_rfc2822, _iso, _loose]
    for fn in candidates:
        try:
            dt = fn(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            dt = None
        if dt is not None:
            break
    if dt is None:
        return None, False
    assumed = dt.tzinfo is None
    if assumed:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.isoformat(), assumed


def _rfc2822(text: str) -> datetime | None:
    # Drop a trailing comment like "(UTC)" or "(Pacific Standard Time)"; the numeric zone rules.
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    return parsedate_to_datetime(text)


def _iso(text: str) -> datetime | None:
    t = text.strip()
    t = re.sub(r"\s*\((?:UTC|GMT)\)$", "", t)
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    t = re.sub(r"\s+(UTC|GMT)$", "+00:00", t)
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)  # +0100 -> +01:00
    t = re.sub(r"\s+([+-]\d{2}:\d{2})$", r"\1", t)  # "10:00:00 +01:00"
    return datetime.fromisoformat(t)


_LOOSE_FORMATS = (
    "%d/%m/%Y %H:%M:%S %z", "%d/%m/%Y %H:%M %z", "%d.%m.%Y %H:%M:%S %z", "%d.%m.%Y %H:%M %z",
    "%A, %B %d, %Y %I:%M %p", "%A, %d %B %Y %H:%M", "%B %d, %Y %I:%M %p", "%d %B %Y %H:%M",
)


def _loose(text: str) -> datetime | None:
    t = re.sub(r"\s+(UTC|GMT)$", " +0000", text.strip())
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------------------------------------
# Headers -> elements + metadata


def add_headers(builder: TextBuilder, headers: dict[str, str], *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Emit one EMAIL_HEADER element per known header present and fill `metadata["email"]`.

    `headers` maps lower-case names (see HEADER_ORDER) to raw (decoded) values.
    """
    meta: dict[str, Any] = {
        "from": None, "from_address": None, "from_name": None, "to": [], "cc": [],
        "date": None, "date_raw": None, "subject": None, "message_id": None, "in_reply_to": None,
    }
    for name in HEADER_ORDER:
        value = clean_header_value(headers.get(name))
        if not value:
            continue
        attrs: dict[str, Any] = {"name": name, "value": value}
        if name in ADDRESS_HEADERS:
            pairs = split_addresses(value)
            attrs["addresses"] = [addr for _, addr in pairs if addr]
            formatted = [format_address(n, a) for n, a in pairs]
            if name == "from":
                first = pairs[0] if pairs else ("", "")
                meta["from"] = formatted[0] if formatted else value
                meta["from_name"] = first[0] or None
                meta["from_address"] = first[1] or None
            else:
                key = name.replace("-", "_")
                meta[key] = formatted or [value]
                meta[f"{key}_addresses"] = attrs["addresses"]
        elif name == "date":
            iso, assumed = parse_date(value)
            attrs["iso"] = iso
            meta["date"] = iso
            meta["date_raw"] = value
            if assumed:
                meta["date_assumed_utc"] = True
            if iso is None:
                builder.doc.warnings.append(f"email Date header could not be parsed: {value[:100]!r}")
        elif name == "subject":
            meta["subject"] = value
        elif name == "message-id":
            meta["message_id"] = value
        elif name == "in-reply-to":
            meta["in_reply_to"] = value
        builder.add(Kind.EMAIL_HEADER, f"{HEADER_LABELS[name]}: {value}", attrs=attrs)
    if extra:
        meta.update(extra)
    builder.doc.metadata["email"] = meta
    return meta
