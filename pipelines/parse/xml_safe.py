"""Hardened XML reading for XML from documents: no DTD loading, no entity expansion, no
network, no huge trees (XXE and billion-laughs files fail instead of expanding); and, for
e-invoices, element spans.

Invoice XML comes from strangers. A DOCTYPE is refused outright (it is the door to entity
expansion - "billion laughs" - and to external entities that read local files or the
network); lxml is further told not to resolve entities, load DTDs or touch the network.

lxml knows an element's line but not its character offsets, and provenance needs the exact
span of a value in the XML text. Expat reports each start and end tag's byte offset in
document order, the same order as lxml's element iteration, so one extra pass gives every
element its span.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from lxml import etree

_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.I)
_START_TAG_END = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")


class UnsafeXML(ValueError):
    """The XML declares a DTD or entities, which are never expanded here."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False, encoding="utf-8")


def parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    return etree.fromstring(data, parser=parser)


@dataclass
class XmlView:
    """A parsed XML text: its root and each element's span (start of its start tag to the
    end of its end tag, as character offsets into `text`)."""

    text: str
    root: etree._Element
    spans: list[tuple[int, int]]
    _index: dict[etree._Element, int] = field(default_factory=dict, repr=False)

    def span(self, el: etree._Element) -> tuple[int, int] | None:
        if not self._index:
            self._index = {e: i for i, e in enumerate(self.root.iter(etree.Element))}
        i = self._index.get(el)
        return self.spans[i] if i is not None and i < len(self.spans) else None

    def text_span(self, el: etree._Element) -> tuple[int, int] | None:
        """The span of an element's own text (between its start tag and its first child or end tag)."""
        span = self.span(el)
        if span is None:
            return None
        m = _START_TAG_END.match(self.text, span[0])
        if m is None:
            return None
        start = m.end()
        if self.text[start - 2:start] == "/>":
            return (start, start)
        end = self.text.find("<", start)
        return (start, end if end >= 0 else start)

    def attr_span(self, el: etree._Element, name: str) -> tuple[int, int] | None:
        """The span of an attribute's value inside the element's start tag."""
        span = self.span(el)
        if span is None:
            return None
        m = _START_TAG_END.match(self.text, span[0])
        tag = self.text[span[0]:m.end()] if m else ""
        local = name.split("}")[-1]
        a = re.search(rf"""[\s:]{re.escape(local)}\s*=\s*(["'])(.*?)\1""", tag, re.S)
        if a is None:
            return None
        return (span[0] + a.start(2), span[0] + a.end(2))

    def path(self, el: etree._Element) -> str:
        return str(self.root.getroottree().getpath(el))


def parse_text(text: str) -> XmlView:
    """Parse XML text safely; raises UnsafeXML for DTDs/entities, etree.XMLSyntaxError when malformed."""
    if _DOCTYPE.search(text):  # anywhere: comments before it cannot hide it
        raise UnsafeXML("the XML declares a DOCTYPE or entities (never expanded)")
    data = text.encode("utf-8")
    root = etree.fromstring(data, _parser())
    return XmlView(text, root, _element_spans(text, data))


def _element_spans(text: str, data: bytes) -> list[tuple[int, int]]:
    """(start, end) character offsets of every element, in document order."""
    spans: list[list[int]] = []
    stack: list[int] = []
    p = expat.ParserCreate(encoding="utf-8")
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(_name: str, _attrs: dict[str, str]) -> None:
        stack.append(len(spans))
        spans.append([p.CurrentByteIndex, -1])

    def end(_name: str) -> None:
        spans[stack.pop()][1] = p.CurrentByteIndex

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.Parse(data, True)
    to_char = _byte_to_char(text, data)
    out = []
    for s, e in spans:
        cs = to_char(s)
        ce = to_char(e)
        close = text.find(">", ce)  # the end tag (or, for <a/>, the start tag) ends at its '>'
        out.append((cs, close + 1 if close >= 0 else len(text)))
    return out


def _byte_to_char(text: str, data: bytes) -> Callable[[int], int]:
    """A function from UTF-8 byte offsets to character offsets."""
    if len(data) == len(text):
        return lambda b: b
    # byte offset of each multi-byte character, and the extra bytes before and including it
    marks: list[int] = []
    extra: list[int] = []
    b = total = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if n > 1:
            total += n - 1
            marks.append(b)
            extra.append(total)
        b += n

    def convert(off: int) -> int:
        i = bisect.bisect_left(marks, off)  # multi-byte characters starting before `off`
        return off - (extra[i - 1] if i else 0)

    return convert
