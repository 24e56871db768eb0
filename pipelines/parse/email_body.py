"""An e-mail's body text, whichever container it came from: quoted replies and signatures
marked, HTML bodies turned into text the way mail clients render them as plain text."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from lxml import etree

from pipelines.model.document import Document, Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.html_hidden import strip_hidden
from pipelines.parse.text import add_text_blocks

_WS = re.compile(r"\s+")


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
