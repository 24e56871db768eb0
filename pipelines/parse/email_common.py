"""What .eml and .msg parsing share: header elements and metadata, body text, quoted replies.

Both formats reduce a message to (header name, raw value) pairs, a body text with its source
("plain", "html" or "rtf") and a list of attachments; this module turns those into the same
elements and `metadata["email"]` shape whichever container they came from.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from pipelines.document import Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.text import add_text_blocks

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


# ---------------------------------------------------------------------------------------------
# Body: quoted replies and signatures

_QUOTE_LINE = re.compile(r"^\s*>")
_WROTE = re.compile(
    r"^\s*(On\s.{4,300}\swrote|Am\s.{4,300}\sschrieb|Le\s.{4,300}\sa\s+écrit|El\s.{4,300}\sescribió|Op\s.{4,300}\sschreef)\s*:\s*$",
    re.IGNORECASE,
)
_WROTE_START = re.compile(r"^\s*(On|Am|Le|El|Op)\s", re.IGNORECASE)
_WROTE_END = re.compile(r"(wrote|schrieb|a\s+écrit|escribió|schreef)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original\s+Message|Forwarded\s+message|Ursprüngliche\s+Nachricht|Message\s+d'origine|Weitergeleitete\s+Nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Envoyé|To|An|À|Subject|Betreff)\s*:\*?\s", re.IGNORECASE)
_SIG = re.compile(r"^--\s?$")


def _separator_length(lines: list[str], i: int) -> int:
    """How many lines starting at i form a reply/forward separator (0 if none)."""
    line = lines[i]
    if _ORIGINAL.match(line):
        return 1
    if _WROTE.match(line):
        return 1
    # "On Mon, 4 Mar 2024 at 10:00, Jane Doe <jane@" / "example.com> wrote:" (wrapped by the client)
    if _WROTE_START.match(line) and i + 1 < len(lines) and _WROTE_END.search(lines[i + 1]) and len(line) < 300:
        if _WROTE.match(line + " " + lines[i + 1].strip()):
            return 2
    if _UNDERSCORES.match(line):
        j = i + 1
        while j < len(lines) and not lines[j].strip() and j - i < 3:
            j += 1
        if j < len(lines) and _OUTLOOK_FROM.match(lines[j]):
            return 1
    # Outlook: "From: Jane" then "Sent: ..." (or Date/To) on the next few lines.
    if _OUTLOOK_FROM.match(line):
        nxt = [ln for ln in lines[i + 1 : i + 4] if ln.strip()]
        if nxt and _OUTLOOK_NEXT.match(nxt[0]) and any(re.match(r"^\s*\*?(Sent|Date|Gesendet|Envoyé)\s*:", ln, re.I) for ln in nxt[:3]):
            return -1  # a header block: the block itself is quoted, no separate separator line
    return 0


def mark_lines(text: str) -> list[tuple[str, str]]:
    """Label each line: "text", "quoted", "separator" (+ "separator_cont") or "signature"."""
    lines = text.split("\n")
    labels: list[str] = ["text"] * len(lines)
    rest_quoted = False  # after an Original Message / Outlook header block: all the rest
    wrote_pending = False  # after "On ... wrote:": following ">" lines (or, if none, the rest)
    in_sig = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if rest_quoted:
            labels[i] = "quoted"
            i += 1
            continue
        n = _separator_length(lines, i)
        if n:
            if n == -1:
                rest_quoted = True
                continue
            labels[i] = "separator"
            for k in range(1, n):
                labels[i + k] = "separator_cont"
            i += n
            in_sig = False
            # Is the quoted text ">"-prefixed? Then only those lines are quoted (inline replies).
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _QUOTE_LINE.match(lines[j]):
                wrote_pending = True
            else:
                rest_quoted = True
            continue
        if _QUOTE_LINE.match(line):
            labels[i] = "quoted"
        elif wrote_pending and not line.strip():
            labels[i] = "quoted"
        elif _SIG.match(line):
            in_sig = True
            labels[i] = "signature"
        elif in_sig:
            labels[i] = "signature"
        else:
            wrote_pending = False
        i += 1
    return list(zip(lines, labels))


def add_body(builder: TextBuilder, text: str, *, source: str) -> None:
    """Body blocks as EMAIL_BODY (or LIST_ITEM / KEY_VALUE) elements, quoted text marked."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    base = {"source": source}
    segment: list[str] = []
    seg_label = "text"

    def flush() -> None:
        if not segment:
            return
        body = "\n".join(segment)
        if seg_label == "separator":
            builder.add(Kind.EMAIL_BODY, body.strip(), attrs={**base, "quoted": True, "separator": True})
        elif seg_label == "quoted":
            add_text_blocks(body, builder, kind=Kind.EMAIL_BODY, attrs={**base, "quoted": True})
        elif seg_label == "signature":
            add_text_blocks(body, builder, kind=Kind.EMAIL_BODY, attrs={**base, "signature": True})
        else:
            add_text_blocks(body, builder, kind=Kind.EMAIL_BODY, attrs=dict(base))
        segment.clear()

    for line, label in mark_lines(text):
        if label == "separator_cont":
            segment.append(line)
            continue
        if label != seg_label or label == "separator":
            flush()
            seg_label = label
        segment.append(line)
    flush()


# ---------------------------------------------------------------------------------------------
# HTML -> text

_DROP = ("script", "style", "head", "title", "noscript", "template", "meta", "link", "object", "iframe", "svg")
_PARA = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "address", "figure", "hr"})
_BLOCK = frozenset({
    "div", "section", "article", "header", "footer", "nav", "aside", "main", "center", "form", "fieldset",
    "li", "dt", "dd", "tr", "caption", "tbody", "thead", "tfoot", "figcaption", "details", "summary",
}) | _PARA
_SKIP_NODES = (Comment, Doctype, CData, ProcessingInstruction, Declaration)


def _without_hidden(html: str | bytes, doc: Any) -> str | bytes:
    """The body with the elements nobody sees removed (recorded on `doc` when given)."""
    import lxml.html
    from lxml import etree

    from pipelines.document import Document
    from pipelines.parse.html_hidden import strip_hidden

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    if not strip_hidden(root, doc if doc is not None else Document("", "", "", 0)):
        return html
    return lxml.html.tostring(root, encoding="unicode")


def html_to_text(html: str | bytes, doc: Any = None) -> str:
    """Readable text from an HTML mail body: paragraphs and line breaks kept, scripts dropped.

    `<blockquote>` content is prefixed with "> " the way mail clients render replies in plain
    text, so the quote marking treats HTML and plain bodies alike. Iterative, so deeply nested
    markup cannot exhaust the stack.
    """
    html = _without_hidden(html, doc)
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(list(_DROP)):
        tag.decompose()
    root = soup.body or soup
    buffers: list[list[str]] = [[]]
    stack: list[tuple[Tag, Any]] = [(root, iter(list(root.children)))]
    pre_depth = 0
    ol_counters: list[int] = []

    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if node is root:
                break
            name = node.name
            out = buffers[-1]
            if name == "pre":
                pre_depth -= 1
            if name in ("td", "th"):
                out.append("\t")
            elif name == "blockquote":
                inner = _tidy("".join(buffers.pop()))
                quoted = "\n".join(("> " + ln) if ln.strip() else ">" for ln in inner.split("\n")) if inner else ""
                buffers[-1].append("\n\n" + quoted + "\n\n")
            elif name in _PARA:
                out.append("\n\n")
            elif name in _BLOCK:
                out.append("\n")
            if name == "ol" and ol_counters:
                ol_counters.pop()
            continue
        if isinstance(child, _SKIP_NODES):
            continue
        if isinstance(child, NavigableString):
            s = str(child)
            buffers[-1].append(s if pre_depth else _WS.sub(" ", s))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            buffers[-1].append("\n")
            continue
        if name == "hr":
            buffers[-1].append("\n\n")
            continue
        if name == "img":
            continue
        if name == "blockquote":
            buffers.append([])
        elif name in _PARA:
            buffers[-1].append("\n\n")
        elif name in _BLOCK:
            buffers[-1].append("\n")
        if name == "pre":
            pre_depth += 1
        elif name == "ol":
            ol_counters.append(0)
        elif name == "li":
            parent = child.parent
            if parent is not None and parent.name == "ol" and ol_counters:
                ol_counters[-1] += 1
                buffers[-1].append(f"{ol_counters[-1]}. ")
            else:
                buffers[-1].append("- ")
        stack.append((child, iter(list(child.children))))

    while len(buffers) > 1:  # unbalanced (cannot happen with a parsed tree, but be safe)
        inner = "".join(buffers.pop())
        buffers[-1].append(inner)
    return _tidy("".join(buffers[0]))


def _tidy(text: str) -> str:
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.strip(" ").rstrip() for ln in text.split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


# ---------------------------------------------------------------------------------------------
# Attachments

_MIN_IMAGE_BYTES = 128


def image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size of a PNG or GIF (enough to spot 1x1 tracking pixels), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None


def is_tracking_pixel(data: bytes, media_type: str | None) -> bool:
    """Tiny images (1x1 pixels, spacers) carry no content; do not parse them as attachments."""
    size = image_size(data)
    if size is not None:
        return size[0] <= 3 and size[1] <= 3
    return bool(media_type and media_type.startswith("image/") and len(data) < _MIN_IMAGE_BYTES)


def add_attachment(ctx: Any, builder: TextBuilder, data: bytes, name: str, *, media_type: str | None = None,
                   inline: bool = False, records: list[dict[str, Any]]) -> None:
    """Parse one attachment as a child document; a record of it goes into `records` either way."""
    ctx.check_time()
    rec: dict[str, Any] = {"name": name, "size": len(data), "media_type": media_type}
    if inline:
        rec["inline"] = True
    if not data:
        rec["skipped"] = "empty"
    elif is_tracking_pixel(data, media_type):
        rec["skipped"] = "tracking pixel"
    elif len(ctx.doc.children) >= ctx.limits.max_children:
        rec["skipped"] = "too many attachments"
        if not any(w.startswith("more than") and "attachments" in w for w in builder.doc.warnings):
            builder.doc.warnings.append(f"more than {ctx.limits.max_children} attachments; the rest were not parsed")
    else:
        child = ctx.add_child(data, name)
        rec["child_id"] = child.id
        rec["status"] = str(child.status)
    records.append(rec)


def safe_name(name: str | None, fallback: str) -> str:
    name = clean_header_value(name).replace("/", "_").replace("\\", "_")
    return name.strip(". ") or fallback
