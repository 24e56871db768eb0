"""ODT (OpenDocument text) read from its `content.xml` with lxml.

Headings (`text:h`, with their outline level), paragraphs, list items and tables in body order;
sections and frames are walked through. Hidden text (`text:hidden-text`, hidden paragraphs) is
left out: a person does not see it in the document.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from lxml import etree

from pipelines.model.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.html import add_table_rows
from pipelines.parse.text import KEY_VALUE
from pipelines.parse.xml_safe import parse_xml

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_HIDDEN = {f"{{{TEXT}}}hidden-text", f"{{{TEXT}}}hidden-paragraph", f"{{{TEXT}}}note", f"{{{TEXT}}}tracked-changes"}
_MAX_REPEAT = 64  # repeated empty cells/rows fill a sheet to its edge; never expand them without bound


def parse(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            content = zf.read("content.xml")
        root = parse_xml(content)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise BadInput(Reason.CORRUPT, f"ODT could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if body is None:
        raise BadInput(Reason.CORRUPT, "ODT has no text body")
    _walk(body, builder, ctx, depth=0)


def inline_text(el: etree._Element) -> str:
    """The visible text of a paragraph: spans, spaces (`text:s c=N`), tabs and line breaks."""
    parts: list[str] = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag in _HIDDEN:
            pass
        elif tag == f"{{{TEXT}}}s":
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1") or 1))
        elif tag == f"{{{TEXT}}}tab":
            parts.append("\t")
        elif tag == f"{{{TEXT}}}line-break":
            parts.append("\n")
        else:
            parts.append(inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _walk(parent: etree._Element, builder: TextBuilder, ctx: Any, depth: int) -> None:
    for el in parent:
        if ctx is not None:
            ctx.check_time()
        tag = el.tag
        if tag in _HIDDEN or not isinstance(tag, str):
            continue
        if tag == f"{{{TEXT}}}h":
            level = int(el.get(f"{{{TEXT}}}outline-level", "1") or 1)
            builder.add(Kind.HEADING, inline_text(el).strip(), attrs={"level": level})
        elif tag == f"{{{TEXT}}}p":
            _paragraph(inline_text(el).strip(), builder)
        elif tag == f"{{{TEXT}}}list":
            _list(el, builder, depth)
        elif tag == f"{{{TABLE}}}table":
            add_table_rows(builder, _rows(el), attrs={"category": "Table"})
        else:  # sections, frames, soft page breaks ...
            _walk(el, builder, ctx, depth)


def _paragraph(text: str, builder: TextBuilder) -> None:
    m = KEY_VALUE.match(text) if "\n" not in text and len(text) <= 300 else None
    if m:
        builder.add(Kind.KEY_VALUE, text, attrs={"key": m.group("key").strip(), "value": m.group("value").strip()})
    else:
        builder.add(Kind.PARAGRAPH, text)


def _list(lst: etree._Element, builder: TextBuilder, depth: int) -> None:
    for item in lst.iterchildren(f"{{{TEXT}}}list-item", f"{{{TEXT}}}list-header"):
        for child in item:
            if child.tag in (f"{{{TEXT}}}p", f"{{{TEXT}}}h"):
                builder.add(Kind.LIST_ITEM, inline_text(child).strip(), attrs={"depth": depth})
            elif child.tag == f"{{{TEXT}}}list":
                _list(child, builder, depth + 1)


def _rows(table: etree._Element) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.iter(f"{{{TABLE}}}table-row"):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell"):
                continue
            text = "\n".join(inline_text(p).strip() for p in cell.iter(f"{{{TEXT}}}p"))
            repeat = min(int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1") or 1), _MAX_REPEAT)
            cells.extend([text] * repeat)
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
