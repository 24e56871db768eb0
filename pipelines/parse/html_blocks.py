"""The text flow of an HTML page as blocks, read from the lxml tree (no layout engine, no model).

A browser shows block elements (paragraphs, headings, list items, cells, ...) on lines of their
own and runs inline elements (links, bold, spans) together. So the walk collects the text of
inline content into the current block and emits it when a block boundary is reached. Tables and
definition lists are handed to callbacks (they keep their structure); scripts, styles and other
non-rendered elements are skipped. Iterative: deeply nested markup cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from pipelines.model.document import Kind

_WS = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")
SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
                  "embed", "canvas", "select", "option", "datalist", "button", "input", "textarea", "map", "area",
                  "audio", "video", "source", "track", "img", "picture", "meta", "link", "base"})
BLOCK = frozenset({"address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div",
                   "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                   "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre",
                   "section", "summary", "ul", "caption", "td", "th", "tr", "tbody", "thead", "tfoot"})
HEADINGS = {f"h{i}": i for i in range(1, 7)}


@dataclass
class Block:
    kind: Kind  # HEADING, PARAGRAPH, LIST_ITEM or CODE
    text: str
    level: int = 0  # heading level
    links: list[dict[str, str]] = field(default_factory=list)


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


class _Collector:
    def __init__(self, emit: Callable[[Block], None]) -> None:
        self.emit = emit
        self.parts: list[str] = []
        self.links: list[dict[str, str]] = []
        self.kinds: list[tuple[Kind, int]] = [(Kind.PARAGRAPH, 0)]  # the block context, innermost last
        self.pre = 0

    def text(self, s: str | None) -> None:
        if s:
            self.parts.append(s if self.pre else _WS.sub(" ", s))

    def flush(self) -> None:
        raw = "".join(self.parts)
        self.parts = []
        links, self.links = self.links, []
        kind, level = self.kinds[-1]
        if kind is Kind.CODE:
            text = raw.strip("\n").rstrip()
        else:
            text = "\n".join(_WS.sub(" ", line).strip() for line in raw.split("\n"))
            text = re.sub(r"\n{2,}", "\n", text).strip()
        if text:
            self.emit(Block(kind, text, level, [ln for ln in links if ln["text"] and ln["text"] in text]))


def walk(root: etree._Element, emit: Callable[[Block], None],
         on_table: Callable[[etree._Element], None], on_dl: Callable[[etree._Element], None],
         tick: Callable[[], None] | None = None) -> None:
    """Emit the blocks of `root` in document order; tables and <dl> go to their callbacks."""
    c = _Collector(emit)
    # stack of (element, entering?) pairs; the tail of an element is text of its parent's block
    stack: list[tuple[etree._Element, bool]] = [(root, True)]
    steps = 0
    while stack:
        el, entering = stack.pop()
        steps += 1
        if tick is not None and steps % 2000 == 0:
            tick()
        tag = _tag(el)
        if not entering:
            if tag in BLOCK or tag == "br":
                if tag == "br":
                    c.parts.append("\n")
                else:
                    c.flush()
                    if tag in HEADINGS or tag in ("li", "pre", "dt", "dd"):
                        c.kinds.pop()
                    if tag == "pre":
                        c.pre -= 1
            if tag == "a" and el.get("href"):
                c.links.append({"text": _WS.sub(" ", el.text_content()).strip(), "url": el.get("href", "")})
            c.text(el.tail)
            continue
        if not tag or tag in SKIP:
            if el is not root:
                c.text(el.tail)
            continue
        if tag == "table" or tag == "dl":
            c.flush()
            (on_table if tag == "table" else on_dl)(el)
            c.text(el.tail)
            continue
        if tag in BLOCK:
            c.flush()
            if tag in HEADINGS:
                c.kinds.append((Kind.HEADING, HEADINGS[tag]))
            elif tag == "li":
                c.kinds.append((Kind.LIST_ITEM, 0))
            elif tag == "pre":
                c.kinds.append((Kind.CODE, 0))
                c.pre += 1
            elif tag in ("dt", "dd"):
                c.kinds.append((Kind.PARAGRAPH, 0))
        stack.append((el, False))
        c.text(el.text)
        for child in reversed(el):
            stack.append((child, True))
    c.flush()
