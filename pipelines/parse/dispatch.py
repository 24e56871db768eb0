"""Parse bytes of any supported kind into a Document, quarantining bad input with a reason.

Each format lives in its own module exposing `parse(data, builder, ctx)`; this module binds
media types to those modules and owns the guards every format shares.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Callable, Protocol

from pipelines.model.document import Document, Reason, Status, content_id
from pipelines.ingest import sniff as mt
from pipelines.ingest.raw_store import RawStore
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.limits import DEFAULT_LIMITS, Limits
from pipelines.parse.zipguard import check_zip

log = logging.getLogger(__name__)

# media type -> module with a `parse(data, builder, ctx)` function (imported on first use)
PARSER_MODULES: dict[str, str] = {
    mt.PDF: "pipelines.parse.pdf",
    mt.DOCX: "pipelines.parse.docx",
    mt.EML: "pipelines.parse.email_eml",
    mt.MSG: "pipelines.parse.email_msg",
    mt.HTML: "pipelines.parse.html",
    mt.PYTHON: "pipelines.parse.code_python",
    mt.SQL: "pipelines.parse.code_sql",
    mt.TEXT: "pipelines.parse.text",
    mt.MARKDOWN: "pipelines.parse.text",
    mt.CSV: "pipelines.parse.tabular",
    mt.JSON: "pipelines.parse.json_data",
    mt.PPTX: "pipelines.parse.slides",
    mt.ODT: "pipelines.parse.odt",
    mt.EPUB: "pipelines.parse.epub",
    mt.RTF: "pipelines.parse.rtf",
    mt.XML: "pipelines.parse.xml",  # e-invoices (CII, UBL) structurally; other XML as plain text
    # Scans and photos: OCR (refused with NEEDS_OCR and the install hint when no engine is installed)
    "image/png": "pipelines.parse.image",
    "image/jpeg": "pipelines.parse.image",
    "image/tiff": "pipelines.parse.image",
}
ZIP_CONTAINERS = {mt.DOCX, mt.PPTX, mt.XLSX, mt.ODT, mt.EPUB, mt.ZIP}
IMAGE_PREFIX = "image/"
TEXT_EXTENSIONS = {".txt", ".text", ".log", ".csv", ".tsv", ".md", ".json", ".html", ".htm", ".eml", ".sql", ".py", ".xml"}


class FormatParser(Protocol):
    def __call__(self, data: bytes, builder: TextBuilder, ctx: ParseContext) -> None: ...


@dataclass
class ParseContext:
    """What a format parser may use: limits, the clock, and a way to parse attachments."""

    doc: Document
    limits: Limits = DEFAULT_LIMITS
    depth: int = 0
    store: RawStore | None = None
    deadline: float = field(default_factory=lambda: float("inf"))

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BadInput(Reason.TIMEOUT, f"parsing took longer than {self.limits.timeout_s:.0f} s")

    def add_child(self, data: bytes, name: str) -> Document:
        """Parse an attachment as a child document (recursively, up to the depth limit)."""
        if len(self.doc.children) >= self.limits.max_children:
            raise BadInput(Reason.NESTING, f"more than {self.limits.max_children} attachments")
        child = parse_bytes(
            data,
            name=name,
            source_path=f"{self.doc.source_path}#{name}",
            limits=self.limits,
            depth=self.depth + 1,
            parent_id=self.doc.id,
            store=self.store,
            deadline=self.deadline,
        )
        self.doc.children.append(child)
        return child


def _parser_for(media_type: str) -> FormatParser | None:
    module = PARSER_MODULES.get(media_type)
    if module is None:
        return None
    return importlib.import_module(module).parse  # type: ignore[no-any-return]


def parse_bytes(
    data: bytes,
    *,
    name: str,
    source_path: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    depth: int = 0,
    parent_id: str | None = None,
    store: RawStore | None = None,
    deadline: float | None = None,
) -> Document:
    """Parse one document. Never raises for bad input: the Document carries status and reason."""
    doc = Document(
        id=content_id(data), source_path=source_path or name, media_type=mt.BINARY, size=len(data),
        parent_id=parent_id, name=PurePath(name).name,
    )
    if store is not None:
        store.put(data)
    if deadline is None:
        deadline = time.monotonic() + limits.timeout_s
    ctx = ParseContext(doc=doc, limits=limits, depth=depth, store=store, deadline=deadline)
    try:
        _parse_into(doc, data, ctx)
    except BadInput as exc:
        doc.quarantine(exc.reason, exc.message)
    except MemoryError:
        doc.quarantine(Reason.MEMORY, "parsing ran out of memory")
    except RecursionError:
        doc.quarantine(Reason.NESTING, "structure nested too deeply to parse")
    except Exception as exc:  # a defect or an unexpected library error: keep the document, say why
        log.exception("parser failed on %s", doc.source_path)
        doc.quarantine(Reason.INTERNAL, f"parser error ({type(exc).__name__}): {exc}"[:500])
    if doc.status is Status.QUARANTINED:
        # A half-built model must not be mistaken for a result.
        doc.elements.clear()
        doc.text = ""
    return doc


def _parse_into(doc: Document, data: bytes, ctx: ParseContext) -> None:
    limits = ctx.limits
    if not data.strip():
        raise BadInput(Reason.EMPTY, "file is empty" if not data else "file holds only whitespace")
    if len(data) > limits.max_bytes:
        raise BadInput(Reason.TOO_LARGE, f"file is {len(data):,} bytes (limit {limits.max_bytes:,})")
    if ctx.depth > limits.max_depth:
        raise BadInput(Reason.NESTING, f"attachment nesting deeper than {limits.max_depth} levels")
    doc.media_type = mt.sniff(data, doc.name or "")
    ext = PurePath(doc.name or "").suffix.lower()
    expected = mt.EXTENSIONS.get(doc.media_type)
    if ext and expected and ext != expected and not (expected == ".txt" and ext in (".text", ".log")):
        doc.warnings.append(f"extension {ext} does not match content ({doc.media_type}); parsed by content")
    if doc.media_type in ZIP_CONTAINERS:
        check_zip(data, limits)
    if doc.media_type == mt.BINARY and ext in TEXT_EXTENSIONS:
        raise BadInput(Reason.UNDECODABLE, f"a {ext} file whose bytes are not text in any detectable encoding")
    parser = _parser_for(doc.media_type)
    if parser is None:
        if doc.media_type.startswith(IMAGE_PREFIX):
            raise BadInput(Reason.NEEDS_OCR, f"{doc.media_type} image has no text layer and needs OCR")
        raise BadInput(Reason.UNSUPPORTED, f"no parser for {doc.media_type} content")
    builder = TextBuilder(doc)
    parser(data, builder, ctx)
    ctx.check_time()  # parsers check as they go; this catches the ones that finished late
    builder.finish()
    if len(doc.text) > limits.max_chars:
        raise BadInput(Reason.TOO_LARGE, f"document text has {len(doc.text):,} characters (limit {limits.max_chars:,})")
    if doc.status is Status.PARSED and not doc.text.strip() and not doc.children:
        raise BadInput(Reason.EMPTY, f"no text content found in this {doc.media_type} document")


ParserFn = Callable[[bytes, TextBuilder, ParseContext], None]
