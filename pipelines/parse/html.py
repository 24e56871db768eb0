"""HTML files (and EPUB chapters): text blocks from the lxml tree, tables rebuilt from the source.

Hidden text is removed first (`html_hidden`). The text flow comes from `html_blocks.walk`
(block vs inline elements as a browser lays them out). Tables keep their structure: rows are
rebuilt with `colspan`/`rowspan` expanded and nested tables become tables of their own. Layout
tables (one cell per row, `role="presentation"`, or cells holding headings/lists/tables: e-mail
and old-site layout) are turned into plain blocks first, so their headings and paragraphs come
out as such instead of as one giant cell. Two-column tables without a header get attrs `pairs`
(label, value). Definition lists (`<dl><dt>key<dd>value`) become key/value elements, and
`<title>` the document title.

Kinds: h1-h6 -> HEADING (attrs level), p/div/... -> PARAGRAPH (or KEY_VALUE for a one-line
"Label: value"), li -> LIST_ITEM, pre -> CODE, table -> TABLE (cells, `header`, `records`).
Elements carry a `category` in attrs and their links in attrs `links`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from pipelines.model.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.html_blocks import Block, walk
from pipelines.parse.html_hidden import strip_hidden
from pipelines.parse.tabular import detect_header
from pipelines.parse.text import KEY_VALUE
from pipelines.ingest.text_decode import decode_text

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_WS = re.compile(r"\s+")


def decode_html(data: bytes) -> str:
    """UTF-8 if it decodes, else the charset the page declares, else detection."""
    try:
        return decode_text(data) if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:8192])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_text(data)
    except UnicodeError as exc:
        raise BadInput(Reason.UNDECODABLE, f"HTML could not be decoded: {exc}") from exc


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    add_html(decode_html(data), builder, ctx)


# ---------------------------------------------------------------------------------------------
# tables from the source
# ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class SourceTable:
    rows: list[list[str]]
    header_rows: int  # leading rows that are headers (<thead> or all <th>)
    caption: str | None
    merged: list[list[int]]  # [row, col, rowspan, colspan] of merged cells
    nested: list[SourceTable] = field(default_factory=list)


def _cell_text(cell: etree._Element) -> str:
    """Text of a cell without the text of tables nested in it; <br> and blocks become spaces."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str):
            if el.tail:
                parts.append(el.tail)
            return
        tag = el.tag.lower()
        if tag in ("table", "script", "style", "template"):
            pass
        else:
            if tag in ("br", "p", "div", "li", "tr"):
                parts.append(" ")
            if el.text:
                parts.append(el.text)
            for child in el:
                walk(child)
            if tag in ("p", "div", "li"):
                parts.append(" ")
        if el.tail and el is not cell:
            parts.append(el.tail)

    walk(cell)
    return _clean("".join(parts))


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """<tr> elements of this table, not of tables nested in it."""
    out = []
    for tr in table.iter("tr"):
        parent = tr.getparent()
        while parent is not None and parent.tag not in ("table",):
            parent = parent.getparent()
        if parent is table:
            out.append(tr)
    return out


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def grid(table: etree._Element) -> tuple[list[list[str]], int, list[list[int]]]:
    """Rows of a table with colspan/rowspan expanded: a rowspan repeats the value down,
    a colspan leaves the extra columns empty. Also the number of leading header rows."""
    rows: list[list[str | None]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, col) filled by a rowspan from above
    merged: list[list[int]] = []
    header_rows = 0
    counting_header = True
    for r, tr in enumerate(_own_rows(table)):
        row: list[str | None] = []
        col = 0
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
        parent = tr.getparent()
        in_thead = parent is not None and parent.tag == "thead"
        is_header = bool(cells) and (in_thead or all(c.tag.lower() == "th" for c in cells))
        if counting_header and is_header:
            header_rows += 1
        else:
            counting_header = False
        for cell in cells:
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            text = _cell_text(cell)
            rs, cs = _span(cell.get("rowspan")), _span(cell.get("colspan"))
            if rs > 1 or cs > 1:
                merged.append([r, col, rs, cs])
            row.append(text)
            for extra in range(1, cs):
                row.append("")
            for down in range(1, rs):
                pending[(r + down, col)] = text
                for extra in range(1, cs):
                    pending[(r + down, col + extra)] = ""
            col += cs
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    out = [[c or "" for c in r] + [""] * (width - len(r)) for r in rows]
    return out, header_rows, merged


def source_table(table: etree._Element) -> SourceTable:
    """A table's grid from the source, spans expanded, with its nested tables."""

    def build(table: etree._Element) -> SourceTable:
        rows, header_rows, merged = grid(table)
        caption_el = table.find("caption")
        caption = _clean(caption_el.text_content()) if caption_el is not None else None
        st = SourceTable(rows, header_rows, caption or None, merged)
        for inner in table.iter("table"):
            if inner is table:
                continue
            parent = inner.getparent()
            while parent is not None and parent.tag != "table":
                parent = parent.getparent()
            if parent is table:
                st.nested.append(build(inner))
        return st

    return build(table)


_BLOCKS_IN_LAYOUT = ("h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "article", "section")


def _is_layout_table(table: etree._Element) -> bool:
    """A table used to lay out a page (e-mails, old sites), not to hold data."""
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    rows = _own_rows(table)
    if not rows:
        return False
    cells = [c for tr in rows for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
    single = all(len([c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]) <= 1 for tr in rows)
    if single and not any(c.tag.lower() == "th" for c in cells):
        return True  # one cell per row and no header cell: a wrapper
    for cell in cells:
        for child in cell.iter():
            if child is not cell and isinstance(child.tag, str) and child.tag.lower() in _BLOCKS_IN_LAYOUT:
                return True
    return False


def unwrap_layout_tables(root: etree._Element) -> int:
    """Turn layout tables into plain blocks so their headings and paragraphs survive as such."""
    count = 0
    for table in list(root.iter("table")):
        if not _is_layout_table(table):
            continue
        count += 1
        for el in [table, *table.iter("caption", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup", "col")]:
            # only this table's own structure, not that of data tables nested in it
            owner = el if el.tag == "table" else next((a for a in el.iterancestors("table")), None)
            if owner is table:
                for attr in ("colspan", "rowspan", "role"):
                    el.attrib.pop(attr, None)
                el.tag = "div"
    return count


def definition_pairs(root: etree._Element) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for dl in root.iter("dl"):
        key: str | None = None
        for child in dl:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.lower()
            if tag == "dt":
                key = _clean(child.text_content())
            elif tag == "dd" and key:
                pairs.append((key, _clean(child.text_content())))
    return pairs


# ---------------------------------------------------------------------------------------------
# emitting
# ---------------------------------------------------------------------------------------------


def _table_attrs(rows: list[list[str]], header_rows: int, extra: dict[str, Any]) -> dict[str, Any]:
    attrs = dict(extra)
    if header_rows and len(rows) > header_rows:
        header = rows[header_rows - 1]
        names: list[str] = []
        for i, h in enumerate(header):
            base = h or f"column_{i + 1}"
            name, n = base, 2
            while name in names:
                name, n = f"{base}_{n}", n + 1
            names.append(name)
        attrs["header"] = names
        attrs["records"] = [dict(zip(names, r)) for r in rows[header_rows:]]
        attrs["records_start"] = header_rows
    attrs["header_rows"] = header_rows
    return attrs


def add_table_rows(builder: TextBuilder, rows: list[list[str]], *, header_rows: int = 0, page: int | None = None,
                   attrs: dict[str, Any] | None = None) -> Any:
    """Add a table, dropping blank rows first so cell rows and records stay aligned."""
    guess = header_rows == 0
    kept: list[list[str]] = []
    kept_header = 0
    for i, r in enumerate(rows):
        if any((c or "").strip() for c in r):
            kept.append(r)
            if i < header_rows:
                kept_header += 1
    if not kept:
        return None
    extra = dict(attrs or {})
    if guess and len(kept) > 1 and detect_header(kept, strict=True):
        kept_header = 1
        extra["header_guessed"] = True
    if kept_header == 0 and kept and all(len(r) == 2 for r in kept):
        # a two-column table without a header is usually label | value
        extra["pairs"] = [[k, v] for k, v in kept if k.strip()]
    return builder.add_table(kept, page=page, attrs=_table_attrs(kept, kept_header, extra))


def _add_source_table(builder: TextBuilder, st: SourceTable, base: dict[str, Any], page: int | None, depth: int = 0) -> None:
    extra = dict(base)
    if st.caption:
        extra["caption"] = st.caption
    if st.merged:
        extra["merged"] = st.merged
    if depth:
        extra["nested_depth"] = depth
    add_table_rows(builder, st.rows, header_rows=st.header_rows, page=page, attrs=extra)
    for inner in st.nested:
        _add_source_table(builder, inner, base, page, depth + 1)


def _add_block(builder: TextBuilder, block: Block, base: dict[str, Any], page: int | None) -> None:
    attrs = dict(base)
    kind = block.kind
    if block.links:
        attrs["links"] = block.links
    if kind is Kind.HEADING:
        attrs.update(category="Title", level=block.level)
    elif kind is Kind.LIST_ITEM:
        attrs["category"] = "ListItem"
    elif kind is Kind.CODE:
        attrs["category"] = "CodeSnippet"
    else:
        attrs["category"] = "NarrativeText"
        m = KEY_VALUE.match(block.text) if "\n" not in block.text and len(block.text) <= 300 else None
        if m:
            attrs.update(key=m.group("key").strip(), value=m.group("value").strip())
            kind = Kind.KEY_VALUE
    builder.add(kind, block.text, page=page, attrs=attrs)


def _add_definitions(builder: TextBuilder, dl: etree._Element, base: dict[str, Any], page: int | None) -> None:
    for key, value in definition_pairs(dl):
        builder.add(Kind.KEY_VALUE, f"{key}: {value}", page=page,
                    attrs={**base, "category": "DefinitionList", "key": key, "value": value})


def add_html(html_text: str, builder: TextBuilder, ctx: Any = None, *, page: int | None = None,
             extra_attrs: dict[str, Any] | None = None) -> None:
    """Read an HTML string into elements (shared by HTML files and EPUB chapters)."""
    if not html_text.strip():
        return
    try:
        root = lxml.html.document_fromstring(html_text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True))  # huge_tree: nesting past 256 levels is kept, not dropped
    except (etree.ParserError, ValueError) as exc:
        raise BadInput(Reason.CORRUPT, f"HTML could not be parsed: {exc}") from exc
    strip_hidden(root, builder.doc)  # text nobody sees is recorded, never read
    base = dict(extra_attrs or {})
    title_el = root.find(".//title")
    title = _clean(title_el.text_content()) if title_el is not None else ""
    if title:
        builder.doc.metadata.setdefault("title", title)
        builder.add(Kind.TITLE, title, page=page, attrs={**base, "category": "HtmlTitle"})
    layout = unwrap_layout_tables(root)
    if layout:
        builder.doc.metadata["html_layout_tables"] = layout
    tick = ctx.check_time if ctx is not None else None
    walk(root,
         emit=lambda block: _add_block(builder, block, base, page),
         on_table=lambda table: _add_source_table(builder, source_table(table), {**base, "category": "Table"}, page),
         on_dl=lambda dl: _add_definitions(builder, dl, base, page),
         tick=tick)
