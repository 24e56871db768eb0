"""PPTX, ODT, EPUB and RTF through unstructured (run offline via `unstructured_offline`).

- PPTX: `partition_pptx` (python-pptx). Slides are pages: elements carry `page` = slide number and
  a page break separates slides; speaker notes are paragraphs with attrs `notes=True`; tables keep
  their cells (rows read from unstructured's `text_as_html`). The slide-title shape becomes a
  HEADING; other short lines unstructured calls "Title" are kept as paragraphs (category in attrs).
- ODT: `partition_odt` (pandoc converts to DOCX, then `partition_docx`).
- EPUB, RTF: unstructured's pandoc conversion to HTML, then our HTML parser (`html.add_html`,
  i.e. `partition_html` for the text plus source-accurate tables).

ODT, EPUB and RTF need pandoc. The `pypandoc-binary` wheel ships one (pandoc 3.9 in 1.17), so no
system package or download is needed; without it these formats are quarantined as unsupported
with a message saying what to install. Pandoc itself is never downloaded at run time.
"""

from __future__ import annotations

import io
from typing import Any

from pipelines.document import Kind, Page, Reason
from pipelines.ingest import sniff as mt
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.html import add_html, add_table_rows, add_text_element, element_attrs, rows_from_table_html

PANDOC_HINT = "install the pypandoc-binary package (it bundles pandoc; pin pypandoc-binary==1.17)"


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    media_type = builder.doc.media_type
    if media_type == mt.PPTX:
        _pptx(data, builder, ctx)
    elif media_type == mt.ODT:
        _odt(data, builder, ctx)
    elif media_type in (mt.EPUB, mt.RTF):
        _via_pandoc_html(data, builder, ctx, "epub" if media_type == mt.EPUB else "rtf")
    else:
        raise BadInput(Reason.UNSUPPORTED, f"office parser has no reader for {media_type}")


# ---------------------------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------------------------


def _require_pandoc(fmt: str) -> None:
    from pipelines.parse.unstructured_offline import pandoc_available

    if pandoc_available() is None:
        raise BadInput(Reason.UNSUPPORTED, f"{fmt} needs pandoc, which is not installed; {PANDOC_HINT}")


def _emit_elements(elements: list[Any], builder: TextBuilder, ctx: Any, *, slides: bool = False,
                   notes: dict[int, str] | None = None) -> None:
    last_page: int | None = None
    for i, el in enumerate(elements):
        if ctx is not None and i % 500 == 499:
            ctx.check_time()
        category = el.category
        page = getattr(el.metadata, "page_number", None)
        if category == "PageBreak":
            continue
        if page is not None and last_page is not None and page != last_page:
            builder.page_break()
        if page is not None:
            last_page = page
        text = (el.text or "").strip()
        attrs = element_attrs(el)
        if category == "Table":
            rows = rows_from_table_html(getattr(el.metadata, "text_as_html", None) or "")
            if rows:
                add_table_rows(builder, rows, page=page, attrs=attrs)
            elif text:
                builder.add(Kind.PARAGRAPH, text, page=page, attrs=attrs)
            continue
        if not text:
            continue
        if slides and notes and page in notes and category == "NarrativeText" and text == notes[page]:
            builder.add(Kind.PARAGRAPH, text, page=page, attrs={**attrs, "notes": True})
            continue
        if category == "Title":
            depth = el.metadata.category_depth or 0
            if slides and depth > 0:
                # not the slide's title shape: a short body line that looks like a title
                builder.add(Kind.PARAGRAPH, text, page=page, attrs={**attrs, "depth": depth})
                continue
            add_text_element(builder, el, Kind.HEADING, text, attrs, page)
            continue
        kind = {
            "ListItem": Kind.LIST_ITEM,
            "CodeSnippet": Kind.CODE,
            "Header": Kind.PAGE_HEADER,
            "Footer": Kind.PAGE_FOOTER,
            "PageNumber": Kind.PAGE_FOOTER,
        }.get(category, Kind.PARAGRAPH)
        add_text_element(builder, el, kind, text, attrs, page)


# ---------------------------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------------------------


def _slide_notes(data: bytes) -> tuple[int, dict[int, str]]:
    """(number of slides, slide number -> notes text) read with python-pptx."""
    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    notes: dict[int, str] = {}
    count = 0
    for n, slide in enumerate(prs.slides, 1):
        count = n
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            text = slide.notes_slide.notes_text_frame.text.strip()
            if text:
                notes[n] = text.replace("\x0b", "\n")
    return count, notes


def _pptx(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    from pipelines.parse.unstructured_offline import partition_pptx

    try:
        count, notes = _slide_notes(data)
        elements = partition_pptx(file=io.BytesIO(data), infer_table_structure=True, include_slide_notes=True,
                                  include_page_breaks=False, languages=[""])
    except Exception as exc:  # zipfile.BadZipFile, pptx.exc.PackageNotFoundError, lxml errors ...
        raise BadInput(Reason.CORRUPT, f"PPTX could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    if count > len(builder.doc.pages):
        builder.doc.pages = [Page(number=n) for n in range(1, count + 1)]
    _emit_elements(elements, builder, ctx, slides=True, notes=notes)


def _odt(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    _require_pandoc("ODT")
    from pipelines.parse.unstructured_offline import partition_odt

    try:
        elements = partition_odt(file=io.BytesIO(data), infer_table_structure=True, languages=[""])
    except ImportError as exc:
        raise BadInput(Reason.UNSUPPORTED, f"ODT needs pandoc; {PANDOC_HINT} ({exc})") from exc
    except RuntimeError as exc:  # pypandoc: pandoc exited with an error
        raise BadInput(Reason.CORRUPT, f"pandoc could not read this ODT: {str(exc).strip()[:400]}") from exc
    except Exception as exc:  # noqa: BLE001 - damaged converted DOCX, lxml errors ...
        raise BadInput(Reason.CORRUPT, f"ODT could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    _emit_elements(elements, builder, ctx)


def _via_pandoc_html(data: bytes, builder: TextBuilder, ctx: Any, fmt: str) -> None:
    name = fmt.upper()
    _require_pandoc(name)
    from pipelines.parse.unstructured_offline import convert_file_to_html_text_using_pandoc

    if ctx is not None:
        ctx.check_time()
    try:
        # pandoc runs sandboxed (no reading or fetching of resources the file points to)
        html_text = convert_file_to_html_text_using_pandoc(source_format=fmt, file=io.BytesIO(data))
    except ImportError as exc:
        raise BadInput(Reason.UNSUPPORTED, f"{name} needs pandoc; {PANDOC_HINT} ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - RuntimeError / UnprocessableEntityError from pandoc
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(Reason.CORRUPT, f"pandoc could not read this {name}: {first[:400]}") from exc
    builder.doc.metadata["converted_with"] = "pandoc"
    add_html(html_text, builder, ctx)
