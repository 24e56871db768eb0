"""Plain text and Markdown: headings, list items, key-value lines and paragraphs."""

from __future__ import annotations

import re

from pipelines.model.document import Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import decoded

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST = re.compile(r"^\s*([-*+•]|\d{1,3}[.)])\s+\S")
# "Label: value" with a short label: the commonest way people write fields in free text.
KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][\w .#/&()'-]{0,40}?)\s*(?:[:=]|\s\.{3,}|\.{3,})\s+(?P<value>\S.*)$")
# Markdown pipe tables: "| a | b |" rows with a "|---|---|" separator under the header.
_MD_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def split_blocks(text: str) -> list[str]:
    """Paragraph blocks separated by blank lines; list/key-value lines stay one per block."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        if _LIST.match(line) or KEY_VALUE.match(line) or _MD_HEADING.match(line):
            if current:
                blocks.append("\n".join(current))
                current = []
            blocks.append(line)
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def add_text_blocks(text: str, builder: TextBuilder, *, markdown: bool = False, kind: Kind = Kind.PARAGRAPH, attrs: dict | None = None) -> None:
    """Classify blocks of free text into elements; shared by text, email bodies and others."""
    for block in split_blocks(text):
        stripped = block.strip()
        heading = _MD_HEADING.match(stripped) if markdown else None
        if heading:
            builder.add(Kind.HEADING, stripped, attrs={"level": len(heading.group(1)), **(attrs or {})})
        elif _LIST.match(block):
            builder.add(Kind.LIST_ITEM, stripped, attrs=dict(attrs or {}))
        elif (m := KEY_VALUE.match(block)) and "\n" not in block:
            builder.add(Kind.KEY_VALUE, stripped, attrs={"key": m.group("key").strip(), "value": m.group("value").strip(), **(attrs or {})})
        else:
            builder.add(kind, stripped, attrs=dict(attrs or {}))


def _md_cells(line: str) -> list[str]:
    return [c.strip().strip("*`").strip() for c in line.strip().strip("|").split("|")]


def _add_markdown(text: str, builder: TextBuilder) -> None:
    """Markdown: pipe tables become tables with records; everything else is text blocks."""
    lines = text.split("\n")
    i, pending = 0, []
    while i < len(lines):
        if (_MD_TABLE_ROW.match(lines[i]) and i + 1 < len(lines) and _MD_TABLE_SEP.match(lines[i + 1])):
            add_text_blocks("\n".join(pending), builder, markdown=True)
            pending = []
            header = _md_cells(lines[i])
            rows = [header]
            i += 2
            while i < len(lines) and _MD_TABLE_ROW.match(lines[i]):
                rows.append(_md_cells(lines[i]))
                i += 1
            records = [dict(zip(header, r)) for r in rows[1:]]
            builder.add_table(rows, attrs={"header": header, "records": records, "records_start": 1})
            continue
        pending.append(lines[i])
        i += 1
    add_text_blocks("\n".join(pending), builder, markdown=True)


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    text = decoded(data)
    text = text.replace("\r\n", "\n")
    if builder.doc.media_type == "text/markdown":
        _add_markdown(text, builder)
    else:
        add_text_blocks(text, builder)
