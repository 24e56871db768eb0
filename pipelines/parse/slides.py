"""PPTX through python-pptx: slides are pages.

Each slide's title placeholder becomes a HEADING, other text frames PARAGRAPHs (or KEY_VALUE for
"Label: value" lines), tables keep their cells, speaker notes are PARAGRAPHs with attrs
`notes=True`. Shapes are read in the slide's reading order (top, then left), groups recursively.
"""

from __future__ import annotations

import io
from typing import Any, Iterator

from pipelines.model.document import Kind, Page, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.html import add_table_rows
from pipelines.parse.text import KEY_VALUE


def parse(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    from pptx import Presentation

    try:
        prs = Presentation(io.BytesIO(data))
        slides = list(prs.slides)
    except Exception as exc:  # zipfile.BadZipFile, pptx.exc.PackageNotFoundError, lxml errors ...
        raise BadInput(Reason.CORRUPT, f"PPTX could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    builder.doc.pages = [Page(number=n) for n in range(1, len(slides) + 1)]
    for n, slide in enumerate(slides, 1):
        if ctx is not None:
            ctx.check_time()
        if n > 1:
            builder.page_break()
        _slide(slide, n, builder)


def _ordered(shapes: Any) -> Iterator[Any]:
    """Shapes top to bottom, left to right; group shapes are opened."""
    def key(s: Any) -> tuple[int, int]:
        return (s.top if s.top is not None else 0, s.left if s.left is not None else 0)

    for shape in sorted(shapes, key=key):
        if shape.shape_type is not None and getattr(shape, "shapes", None) is not None and not shape.has_text_frame:
            yield from _ordered(shape.shapes)
        else:
            yield shape


def _is_title(shape: Any) -> bool:
    if not shape.is_placeholder:
        return False
    kind = str(shape.placeholder_format.type or "")
    return "TITLE" in kind  # TITLE, CENTER_TITLE, VERTICAL_TITLE (SUBTITLE is body text)


def _slide(slide: Any, page: int, builder: TextBuilder) -> None:
    for shape in _ordered(slide.shapes):
        if getattr(shape, "has_table", False) and shape.has_table:
            rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
            add_table_rows(builder, rows, page=page, attrs={"category": "Table"})
            continue
        if not shape.has_text_frame:
            continue
        if _is_title(shape) and "SUBTITLE" not in str(shape.placeholder_format.type):
            text = shape.text_frame.text.replace("\x0b", " ").strip()
            builder.add(Kind.HEADING, text, page=page, attrs={"category": "Title", "level": 1})
            continue
        for para in shape.text_frame.paragraphs:
            text = "".join(run.text for run in para.runs).replace("\x0b", " ").strip()
            if not text:
                continue
            m = KEY_VALUE.match(text) if len(text) <= 300 else None
            if m:
                builder.add(Kind.KEY_VALUE, text, page=page,
                            attrs={"key": m.group("key").strip(), "value": m.group("value").strip()})
            elif para.level > 0 or _bulleted(para):
                builder.add(Kind.LIST_ITEM, text, page=page, attrs={"depth": para.level})
            else:
                builder.add(Kind.PARAGRAPH, text, page=page)
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = slide.notes_slide.notes_text_frame.text.replace("\x0b", "\n").strip()
        if notes:
            builder.add(Kind.PARAGRAPH, notes, page=page, attrs={"notes": True})


def _bulleted(para: Any) -> bool:
    ppr = para._p.pPr  # python-pptx has no public accessor for an explicit bullet
    return ppr is not None and any(child.tag.endswith(("}buChar", "}buAutoNum")) for child in ppr)
