"""The grounded document model every parser produces and every extractor reads.

A document is identified by the SHA-256 of its bytes. Its `text` is the concatenation of
its elements' text; each element records the character span it occupies in `text`, so any
value found later can point back at its evidence (page + span + text).

Plain slotted dataclasses, not Pydantic: a 1,000-page PDF yields hundreds of thousands of
words and the model must stay small in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LINE = "line"  # one visual line of a laid-out page (PDF)
    LIST_ITEM = "list_item"
    TABLE = "table"
    KEY_VALUE = "key_value"
    EMAIL_HEADER = "email_header"
    EMAIL_BODY = "email_body"
    PAGE_HEADER = "page_header"
    PAGE_FOOTER = "page_footer"
    CODE_SYMBOL = "code_symbol"
    CODE_DATA = "code_data"  # literal records in code: dict/list literals, SQL rows
    CODE = "code"


class Status(StrEnum):
    PARSED = "parsed"
    QUARANTINED = "quarantined"


class Reason(StrEnum):
    """Machine-readable reasons a document could not be parsed (with a human text beside)."""

    EMPTY = "empty_file"
    UNSUPPORTED = "unsupported_type"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    TOO_LARGE = "too_large"
    ZIP_BOMB = "zip_bomb"
    NESTING = "nesting_too_deep"
    UNDECODABLE = "undecodable_text"
    TIMEOUT = "timeout"
    MEMORY = "memory_limit"
    NEEDS_OCR = "needs_ocr"
    INTERNAL = "internal_error"


HIDDEN_KEY = "hidden_text"
MAX_HIDDEN = 200  # pieces kept per document; one is enough to send it to review


@dataclass(slots=True)
class BBox:
    """Box in PDF points, origin at the page's top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class Word:
    text: str
    start: int  # span into Document.text
    end: int
    bbox: BBox


@dataclass(slots=True)
class Cell:
    row: int
    col: int
    text: str
    start: int
    end: int
    bbox: BBox | None = None


@dataclass(slots=True)
class Element:
    kind: Kind
    text: str
    start: int  # span into Document.text: text == document.text[start:end]
    end: int
    page: int | None = None  # 1-based; None for formats without pages
    bbox: BBox | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    cells: list[Cell] | None = None  # tables only
    words: list[Word] | None = None  # laid-out formats: word boxes for geometric rules


@dataclass(slots=True)
class Page:
    number: int
    width: float | None = None
    height: float | None = None
    has_text_layer: bool = True


@dataclass(slots=True)
class Document:
    id: str  # sha256 of the bytes
    source_path: str
    media_type: str
    size: int
    status: Status = Status.PARSED
    reason: Reason | None = None
    reason_text: str | None = None
    text: str = ""
    elements: list[Element] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    name: str | None = None  # file or attachment name
    children: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def quarantine(self, reason: Reason, text: str) -> Document:
        self.status = Status.QUARANTINED
        self.reason = reason
        self.reason_text = text
        return self

    def mark_hidden(self, text: str, reason: str, page: int | None = None) -> None:
        """Record text a person cannot see (white, tiny, vanished, CSS-hidden, off-page ...). It is kept
        out of `text`, so it is never evidence; `metadata["hidden_text"]` says what and why, and its
        presence sends the document to review (validate) and to the injection screen."""
        text = " ".join(text.split())
        if not text:
            return
        found = self.metadata.setdefault(HIDDEN_KEY, [])
        if len(found) < MAX_HIDDEN:
            found.append({"text": text[:2000], "reason": reason, "page": page})

    @property
    def hidden_text(self) -> list[dict[str, Any]]:
        return list(self.metadata.get(HIDDEN_KEY) or [])

    def page_at(self, offset: int) -> int | None:
        """The page of the element holding text offset `offset` (None: no element, or no pages)."""
        for el in self.elements:
            if el.start <= offset < el.end:
                return el.page
        return None

    def walk(self) -> list[Document]:
        """This document and all its descendants (attachments), depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
