"""Outlook messages (.msg, OLE compound files) via extract_msg, shaped like .eml output.

Headers, body, quote marking and attachments go through `email_headers`, `email_body` and
`email_attachments`, so a .msg and the same mail saved as .eml produce the same element kinds, attrs and `metadata["email"]`.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from email.parser import HeaderParser
from typing import Any

from pipelines.model.document import Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.email_policy import POLICY
from pipelines.parse.email_attachments import add_attachment, safe_name
from pipelines.parse.email_body import add_body, html_to_text
from pipelines.parse.email_headers import add_headers
from pipelines.parse.errors import BadInput

log = logging.getLogger(__name__)
# extract_msg logs every missing optional stream at INFO/WARNING; only its errors are worth seeing.
logging.getLogger("extract_msg").setLevel(logging.ERROR)


def _open(data: bytes):  # type: ignore[no-untyped-def]
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    tolerant = ErrorBehavior(0)
    for flag in ErrorBehavior:
        tolerant |= flag
    # A file-like object, never raw bytes: extract_msg/olefile read short bytes as a *path*.
    return extract_msg.openMsg(io.BytesIO(data), strict=False, delayAttachments=True, errorBehavior=tolerant)


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    try:
        msg = _open(data)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        raise BadInput(Reason.CORRUPT, f"Outlook message could not be opened ({type(exc).__name__}): {exc}"[:500]) from exc
    try:
        _parse_msg(msg, builder, ctx)
    finally:
        try:
            msg.close()
        except Exception:
            pass


def _get(obj: Any, attr: str, warnings: list[str] | None = None) -> Any:
    """A property of an extract_msg object; broken files raise from deep inside, so guard each."""
    try:
        return getattr(obj, attr, None)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        if warnings is not None:
            warnings.append(f"Outlook property {attr!r} could not be read ({type(exc).__name__}: {exc})"[:300])
        return None


def _parse_msg(msg: Any, builder: TextBuilder, ctx: Any) -> None:
    warnings = builder.doc.warnings
    transport = _transport_headers(msg, warnings)

    headers: dict[str, str] = {}
    for name, attr in (("from", "sender"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("subject", "subject"),
                       ("message-id", "messageId"), ("in-reply-to", "inReplyTo")):
        value = _get(msg, attr, warnings)
        if value is None and transport is not None:
            value = transport.get(name)
        if value:
            headers[name] = str(value)
    if transport is not None and transport.get("reply-to"):
        headers["reply-to"] = str(transport["reply-to"])
    date_raw = transport.get("date") if transport is not None else None
    if not date_raw:
        dt = _get(msg, "date", warnings) or _get(msg, "receivedTime") or _get(msg, "creationTime")
        if isinstance(dt, datetime) and 1900 < dt.year < 4500:
            date_raw = dt.isoformat()
    if date_raw:
        headers["date"] = str(date_raw)

    body, source = _body(msg, warnings, builder.doc)
    records: list[dict[str, Any]] = []
    add_headers(builder, headers, extra={
        "body_source": source,
        "has_html_body": bool(_detected(msg) & 4),
        "attachments": records,
        "message_class": _get(msg, "classType"),
    })
    if body:
        add_body(builder, body, source=source or "plain")

    try:
        attachments = list(msg.attachments or [])
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        warnings.append(f"attachments could not be read ({type(exc).__name__}: {exc})"[:300])
        attachments = []
    for n, att in enumerate(attachments, 1):
        ctx.check_time()
        _attachment(att, n, builder, ctx, records)


def _transport_headers(msg: Any, warnings: list[str]) -> Any:
    """The original internet headers (PR_TRANSPORT_MESSAGE_HEADERS) when the .msg kept them."""
    text = _get(msg, "headerText", warnings)
    if not text:
        return None
    try:
        return HeaderParser(policy=POLICY).parsestr(str(text).lstrip())
    except Exception:
        return None


def _detected(msg: Any) -> int:
    """Bit set of the body streams present: 1 plain, 2 RTF, 4 HTML (extract_msg's BodyTypes)."""
    try:
        return int(_get(msg, "detectedBodies") or 0)
    except (TypeError, ValueError):
        return 0


def _body(msg: Any, warnings: list[str], doc: Any = None) -> tuple[str, str | None]:
    body = _get(msg, "body", warnings)
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if body and body.strip():
        # Without a plain stream, extract_msg recovered the text from the RTF body.
        return body, ("plain" if _detected(msg) & 1 else "rtf")
    html = None
    try:
        html = msg.getStream("__substg1.0_10130102")
    except Exception:
        html = None
    if not html and _get(msg, "rtfBody"):
        try:
            from extract_msg.enums import DeencapType

            html = msg.deencapsulateBody(msg.rtfBody, DeencapType.HTML)
        except Exception as exc:
            warnings.append(f"HTML could not be recovered from the RTF body ({type(exc).__name__})")
    if html:
        text = html_to_text(html, doc)
        if text.strip():
            return text, "html"
    rtf = _get(msg, "rtfBody", warnings)
    if rtf:
        text = rtf_to_text(rtf)
        if text.strip():
            warnings.append("body read from the RTF body with a basic converter")
            return text, "rtf"
    return "", None


def _attachment(att: Any, n: int, builder: TextBuilder, ctx: Any, records: list[dict[str, Any]]) -> None:
    warnings = builder.doc.warnings
    data = _get(att, "data", warnings)
    name = None
    for attr in ("longFilename", "shortFilename", "displayName", "name"):
        value = _get(att, attr)
        if value and str(value).strip():
            name = str(value)
            break
    att_type = str(_get(att, "type") or "")
    mimetype = _get(att, "mimetype")
    inline = bool(_get(att, "hidden"))
    if isinstance(data, (bytes, bytearray)):
        add_attachment(ctx, builder, bytes(data), safe_name(name, f"attachment-{n}.bin"),
                       media_type=mimetype, inline=inline, records=records)
        return
    if data is not None and hasattr(data, "exportBytes"):  # an embedded Outlook message
        subject = _get(data, "subject")
        fallback = safe_name(str(subject)[:80], f"embedded-{n}") + ".msg" if subject else f"embedded-{n}.msg"
        att_name = safe_name(name, fallback)
        if not att_name.lower().endswith(".msg"):
            att_name += ".msg"
        try:
            payload = data.exportBytes(allowBadEmbed=True)
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            warnings.append(f"embedded message {att_name!r} could not be extracted ({type(exc).__name__}: {exc})"[:300])
            records.append({"name": att_name, "media_type": "application/vnd.ms-outlook", "skipped": "embedded message not extractable"})
            return
        add_attachment(ctx, builder, payload, att_name, media_type="application/vnd.ms-outlook", records=records)
        return
    label = name or f"attachment {n}"
    warnings.append(f"attachment {label!r} ({att_type or type(att).__name__}) has no extractable data")
    records.append({"name": label, "media_type": mimetype, "skipped": f"unsupported attachment ({att_type or type(att).__name__})"})


# ---------------------------------------------------------------------------------------------
# A basic RTF -> text converter for bodies that are neither plain nor encapsulated HTML.

_RTF_TOKEN = re.compile(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|([^\\{}\r\n]+)|[\r\n]+")
_RTF_SKIP = frozenset({
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "themedata", "datastore", "latentstyles",
    "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl", "mmathPr", "filetbl", "revtbl",
    "header", "footer", "headerl", "headerr", "headerf", "footerl", "footerr", "footerf", "fldinst", "bkmkstart",
    "bkmkend", "objdata", "objclass", "pntext", "pntxtb", "pntxta",
})
_RTF_CHARS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "tab": "\t", "cell": "\t", "row": "\n",
              "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
              "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ", "enspace": " ", "qmspace": " "}


def rtf_to_text(rtf: bytes | str) -> str:
    text = rtf.decode("latin-1") if isinstance(rtf, bytes) else rtf
    m = re.search(r"\\ansicpg(\d+)", text[:2000])
    codepage = f"cp{m.group(1)}" if m else "cp1252"
    try:
        b"a".decode(codepage)
    except LookupError:
        codepage = "cp1252"
    out: list[str] = []
    stack: list[tuple[bool, int]] = []
    ignorable, uc, skip = False, 1, 0
    for tok in _RTF_TOKEN.finditer(text):
        word, arg, hexcode, sym, brace, plain = tok.groups()
        if brace == "{":
            stack.append((ignorable, uc))
            continue
        if brace == "}":
            if stack:
                ignorable, uc = stack.pop()
            continue
        if skip and (plain is not None or hexcode is not None):
            if plain is not None and len(plain) > skip:
                plain = plain[skip:]
                skip = 0
            else:
                skip -= 1 if hexcode is not None else len(plain or "")
                skip = max(skip, 0)
                continue
        if sym is not None:
            if sym == "*":
                ignorable = True
            elif not ignorable and sym in "\\{}":
                out.append(sym)
            elif not ignorable and sym == "~":
                out.append("\u00a0")
            elif not ignorable and sym in "-_":
                out.append("-" if sym == "_" else "")
            continue
        if word is not None:
            if word in _RTF_SKIP:
                ignorable = True
            elif word == "uc" and arg:
                uc = int(arg)
            elif word == "u" and arg and not ignorable:
                cp = int(arg)
                out.append(chr(cp + 65536 if cp < 0 else cp))
                skip = uc
            elif not ignorable and word in _RTF_CHARS:
                out.append(_RTF_CHARS[word])
            continue
        if hexcode is not None:
            if not ignorable:
                out.append(bytes([int(hexcode, 16)]).decode(codepage, errors="replace"))
            continue
        if plain is not None and not ignorable:
            out.append(plain)
    result = "".join(out)
    return re.sub(r"[ \t]+\n", "\n", result).strip()
