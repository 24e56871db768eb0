"""RFC 822 / MIME messages (.eml): headers, body (plain preferred, else HTML), attachments as children.

Python's `email` package (its default policy, each header parsed once: email_policy.py) does
the MIME parsing. Around it this module handles what real mail throws at it: UTF-16 encoded
files (which the package reads as a message with no headers), undeclared or wrong charsets,
broken base64, multiparts without a boundary, and pathologically deep nesting.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.header
import email.policy
import mimetypes
import quopri
import re
from email.message import Message
from typing import Any

from charset_normalizer import from_bytes

from pipelines.model.document import Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.email_attachments import add_attachment, safe_name
from pipelines.parse.email_body import add_body, html_to_text
from pipelines.parse.email_headers import HEADER_ORDER, add_headers, clean_header_value
from pipelines.parse.email_policy import POLICY
from pipelines.parse.errors import BadInput

MAX_MIME_DEPTH = 50  # multipart levels; real mail rarely goes past 5
_POLICY = POLICY  # the default policy, each header parsed once
_ENCODED_CTE = ("base64", "quoted-printable")


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    msg, from_text = _load(data, builder)
    walker = _Walker(builder, from_text)
    bodies, attachments = walker.collect(msg, 0)

    headers = _headers(msg)
    plain = [t for kind, t in bodies if kind == "plain" and t.strip()]
    html = [t for kind, t in bodies if kind == "html" and t.strip()]
    known = any(clean_header_value(headers.get(h)) for h in HEADER_ORDER)
    if not known and not plain and not html and not attachments:
        raise BadInput(Reason.CORRUPT, "no email headers (From/To/Subject/Date ...) and no body found")
    if not known:
        builder.doc.warnings.append("no From/To/Subject/Date headers found; parsed as a headerless message")

    records: list[dict[str, Any]] = []
    add_headers(builder, headers, extra={
        "body_source": "plain" if plain else ("html" if html else None),
        "has_html_body": walker.saw_html,
        "attachments": records,
    })
    if plain:
        add_body(builder, "\n\n".join(plain), source="plain")
    elif html:
        add_body(builder, "\n\n".join(html), source="html")

    for n, (part, inline) in enumerate(attachments, 1):
        ctx.check_time()
        payload, name, media_type = walker.attachment_payload(part, n)
        if payload is None:
            records.append({"name": name, "media_type": media_type, "skipped": "payload could not be read"})
            continue
        add_attachment(ctx, builder, payload, name, media_type=media_type, inline=inline, records=records)
    if walker.defects:
        walker.warn("malformed MIME: " + ", ".join(sorted(walker.defects)))


# ---------------------------------------------------------------------------------------------
# Loading


def utf16_encoding(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the bytes are UTF-16 text (BOM or NUL pattern), else None."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    head = data[:400]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.6 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _load(data: bytes, builder: TextBuilder) -> tuple[Message, bool]:
    """The parsed message and whether it was parsed from decoded text (UTF-16 input)."""
    enc = utf16_encoding(data)
    if enc:
        text = data.decode(enc, errors="replace").lstrip("\ufeff")
        if "\ufffd" in text:
            builder.doc.warnings.append("UTF-16 message had undecodable bytes; replaced")
        builder.doc.warnings.append(f"message file is {enc.upper()} encoded; decoded before MIME parsing")
        return email.message_from_string(text.lstrip(), policy=_POLICY), True
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    # Leading blank lines would end the header block before it starts.
    return email.message_from_bytes(data.lstrip(), policy=_POLICY), False


# ---------------------------------------------------------------------------------------------
# Headers


def _fix_surrogates(s: str) -> str:
    """Header bytes that were not ASCII arrive as surrogate escapes: decode them as text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in s):
        return s
    raw = s.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _raw_header(msg: Message, name: str) -> list[str]:
    out = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            try:
                out.append(str(email.header.make_header(email.header.decode_header(str(value)))))
            except Exception:  # bad charset in an encoded word: keep it undecoded
                out.append(str(value))
    return out


def _headers(msg: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name in HEADER_ORDER:
        values: list[str]
        if name == "date":
            values = [str(v) for k, v in msg.raw_items() if k.lower() == "date"][:1]  # raw: keep it as written
        else:
            try:
                values = [str(v) for v in (msg.get_all(name) or [])]
            except Exception:  # the header registry choked on a malformed value
                values = _raw_header(msg, name)
        values = [_fix_surrogates(v) for v in values if v and str(v).strip()]
        if not values:
            continue
        headers[name] = ", ".join(values) if name in ("to", "cc", "bcc", "reply-to") else values[0]
    return headers


# ---------------------------------------------------------------------------------------------
# MIME walk


class _Walker:
    def __init__(self, builder: TextBuilder, from_text: bool) -> None:
        self.builder = builder
        self.from_text = from_text
        self.saw_html = False
        self.defects: set[str] = set()

    def warn(self, text: str) -> None:
        if text not in self.builder.doc.warnings:
            self.builder.doc.warnings.append(text)

    def collect(self, part: Message, depth: int) -> tuple[list[tuple[str, str]], list[tuple[Message, bool]]]:
        """Body texts [(kind, text)] and attachment parts [(part, inline)] under `part`."""
        if depth > MAX_MIME_DEPTH:
            raise BadInput(Reason.NESTING, f"MIME parts nested deeper than {MAX_MIME_DEPTH} levels")
        self.note_defects(part)
        ctype = part.get_content_type()
        maintype = part.get_content_maintype()
        if ctype == "message/rfc822":
            return [], [(part, False)]
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if maintype == "message":  # delivery-status and friends: keep as a text attachment
                return [], [(part, False)]
            results = [self.collect(c, depth + 1) for c in children]
            atts = [a for _, sub in results for a in sub]
            if ctype == "multipart/alternative":
                chosen: list[tuple[str, str]] = []
                for sub_bodies, _ in results:
                    if any(k == "plain" for k, _ in sub_bodies):
                        chosen = sub_bodies
                        break
                else:
                    for sub_bodies, _ in reversed(results):
                        if sub_bodies:
                            chosen = sub_bodies
                            break
                return chosen, atts
            if ctype == "multipart/related":
                # Images referenced from the HTML are inline attachments.
                atts = [(p, inline or p.get_content_disposition() != "attachment") for p, inline in atts]
            return [b for sub, _ in results for b in sub], atts
        if maintype == "multipart":
            recovered = self._recover_multipart(part)
            if recovered is not None:
                return self.collect(recovered, depth + 1)
            self.warn(f"{ctype} part has no usable boundary; its content was read as plain text")
            return [("plain", self.text_of(part))], []

        disposition = part.get_content_disposition()
        filename = self._filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = self.text_of(part)
            if ctype == "text/html":
                self.saw_html = True
                return [("html", html_to_text(text, self.builder.doc))], []
            return [("plain", text)], []
        if not filename and disposition is None and maintype == "text" and ctype == "text/enriched":
            return [("plain", self.text_of(part))], []
        return [], [(part, disposition == "inline" or bool(part.get("content-id") and disposition != "attachment"))]

    def note_defects(self, part: Message) -> None:
        for d in getattr(part, "defects", []):
            self.defects.add(type(d).__name__)

    def _filename(self, part: Message) -> str | None:
        try:
            name = part.get_filename()
        except Exception:
            name = None
        return _fix_surrogates(name) if name else None

    def _recover_multipart(self, part: Message) -> Message | None:
        payload = part.get_payload()
        if not isinstance(payload, str):
            return None
        m = re.search(r"^--([^\s-][^\r\n]{0,69}?)\s*$", payload, re.M)
        if not m:
            return None
        boundary = m.group(1).rstrip("-") if m.group(1).endswith("--") else m.group(1)
        if payload.count("--" + boundary) < 2:
            return None
        self.warn(f"{part.get_content_type()} part had no boundary parameter; recovered boundary {boundary!r}")
        header = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\n\n'
        return email.message_from_string(header + payload, policy=_POLICY)

    def text_of(self, part: Message) -> str:
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        payload = part.get_payload()
        if self.from_text and isinstance(payload, str) and cte not in _ENCODED_CTE:
            return payload  # the whole file was decoded from UTF-16 already
        try:
            raw = part.get_payload(decode=True)
        except Exception as exc:
            self.warn(f"part content could not be decoded ({type(exc).__name__}); read undecoded")
            raw = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        self.note_defects(part)  # decoding records bad base64 and the like
        if raw is None:
            return ""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        return decode_bytes(raw, charset, self.warn)

    def attachment_payload(self, part: Message, n: int) -> tuple[bytes | None, str, str]:
        ctype = part.get_content_type()
        name = self._filename(part)
        if ctype == "message/rfc822" or (part.get_content_maintype() == "message" and part.is_multipart()):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if not name:
                subject = ""
                if isinstance(inner, Message):
                    try:
                        subject = str(inner.get("subject", "") or "")
                    except Exception:
                        subject = ""
                name = (subject[:80] + ".eml") if subject and ctype == "message/rfc822" else (
                    f"forwarded-{n}.eml" if ctype == "message/rfc822" else f"{part.get_content_subtype()}-{n}.txt")
            name = safe_name(name, f"attachment-{n}.eml")
            if ctype != "message/rfc822":
                blocks = [_as_bytes(p) for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
                data = b"\n".join(b for b in blocks if b)
                return data or None, name, ctype
            if isinstance(inner, Message):
                data = _as_bytes(inner)
                if data is None:
                    self.warn(f"forwarded message {name!r} could not be re-serialised")
                    return None, name, ctype
                cte = str(part.get("content-transfer-encoding", "")).strip().lower()
                if cte in _ENCODED_CTE:  # not allowed by RFC 2046, but some mailers do it
                    data = _undo_transfer_encoding(data, cte)
                    if name.startswith("forwarded-"):
                        sub = email.message_from_bytes(data, policy=_POLICY)
                        subject = _fix_surrogates(str(sub.get("subject", "") or ""))
                        name = safe_name(subject[:80] + ".eml", name) if subject else name
                return data, name, ctype
            raw = part.get_payload(decode=True)
            return (raw if isinstance(raw, bytes) and raw else None), name, ctype
        ext = mimetypes.guess_extension(ctype) or ".bin"
        name = safe_name(name, f"attachment-{n}{ext}")
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        payload = part.get_payload()
        if self.from_text and isinstance(payload, str) and cte not in _ENCODED_CTE:
            return payload.encode("utf-8"), name, ctype
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            self.warn(f"attachment {name!r} could not be decoded: {exc}")
            return None, name, ctype
        self.note_defects(part)
        return (data if isinstance(data, bytes) else None), name, ctype


def _undo_transfer_encoding(data: bytes, cte: str) -> bytes:
    body = data.lstrip(b"\r\n")
    try:
        if cte == "base64":
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", body) + b"==", validate=False)
        return quopri.decodestring(body)
    except (ValueError, binascii.Error):
        return data


def _as_bytes(msg: Message) -> bytes | None:
    for policy in (email.policy.compat32, _POLICY):
        try:
            return msg.as_bytes(policy=policy)
        except Exception:
            continue
    try:
        return msg.as_string().encode("utf-8", "surrogateescape")
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Charsets

_CHARSET_ALIASES = {"utf8": "utf-8", "unicode-1-1-utf-7": "utf-7", "ks_c_5601-1987": "cp949", "x-sjis": "shift_jis",
                    "iso-8859-8-i": "iso-8859-8", "gb2312": "gb18030", "gbk": "gb18030", "windows-874": "cp874"}


_LATIN_GUESSES = frozenset({
    "cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_1", "iso8859_2", "iso8859_3", "iso8859_4",
    "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_latin2", "mac_roman",
    "mac_iceland", "cp437", "cp850", "cp852", "cp858",
})


def decode_bytes(raw: bytes, charset: str | None, warn) -> str:  # type: ignore[no-untyped-def]
    """Decode part bytes: declared charset, else UTF-8, else detection; never fails, warns instead."""
    declared = (charset or "").strip().strip("\"'").lower() or None
    if declared:
        declared = _CHARSET_ALIASES.get(declared, declared)
        try:
            codecs.lookup(declared)
        except LookupError:
            warn(f"unknown charset {declared!r}; content decoded by detection")
            declared = None
    if declared:
        try:
            return raw.decode(declared)
        except UnicodeDecodeError:
            pass
        try:
            text = raw.decode("utf-8")
            warn(f"content declared as {declared} was UTF-8; decoded as UTF-8")
            return text
        except UnicodeDecodeError:
            warn(f"content is not valid {declared}; undecodable bytes replaced")
            return raw.decode(declared, errors="replace")
    try:
        text = raw.decode("utf-8")
        if not text.isascii() and charset is None:
            warn("text part has no charset; decoded as UTF-8")
        return text
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw[: 1 << 20]).best()
    enc = best.encoding if best is not None and best.encoding else "cp1252"
    if enc.replace("-", "_").lower() in _LATIN_GUESSES:
        # Detection cannot tell the Latin code pages apart on short text (it guesses cp1250 for
        # "crème"); Windows-1252 is by far the commonest undeclared one in Western mail.
        enc = "cp1252"
    warn(f"text part has no usable charset; decoded as {enc} with replacement")
    return raw.decode(enc, errors="replace")
