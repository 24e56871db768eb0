"""Shared by the parser tests: every element's and cell's text is the slice of the document's
text its span names."""

from __future__ import annotations

from pipelines.model.document import Document, Status


def check_spans(doc: Document) -> None:
    assert doc.status is Status.PARSED, doc.reason_text
    for e in doc.elements:
        assert doc.text[e.start : e.end] == e.text
        for c in e.cells or []:
            assert doc.text[c.start : c.end] == c.text
