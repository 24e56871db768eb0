"""Classifying a receipt read by OCR whose one document-type keyword came out with a look-alike
letter ("TNVOICE"): real OCR (Tesseract) of an image drawn here, with an invented shop. The same
words typed in a text file are not an invoice: text not read by OCR is matched exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.map.classify import classify
from pipelines.map.rules import RuleBook
from pipelines.map.selectors import DocView
from pipelines.model.schema import load_schemas
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import draw_lines, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
LINES = [
    "BRAMBLE HOUSE TOOLS",
    "7 ORCHARD ROW, KELSO",
    "TNVOICE 20418",
    "03/02/2024 14:12",
    "Hinges 2 3.10 6.20",
    "TOTAL 6.20",
]


@pytest.fixture(scope="module")
def schemas() -> dict:
    return load_schemas(SCHEMAS)


def _schemas_of(doc, schemas: dict) -> list[str]:  # noqa: ANN001
    return [c.schema for c in classify(DocView(doc), RuleBook(), schemas)]


def photo() -> bytes:
    return png(draw_lines(LINES, (700, 420), (60, 40), 56, 26))


def test_misread_keyword_of_an_ocr_receipt_still_classifies(schemas: dict, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path / "ocr"))
    doc = parse_bytes(photo(), name="receipt.png")
    assert "TNVOICE" in doc.text and "ocr" in doc.metadata
    assert _schemas_of(doc, schemas) == ["invoice"]


def test_typed_text_needs_the_keyword_spelt_right(schemas: dict) -> None:
    typed = parse_bytes("\n".join(LINES).encode(), name="receipt.txt")
    assert _schemas_of(typed, schemas) == []
    right = parse_bytes("\n".join(LINES).replace("TNVOICE", "INVOICE").encode(), name="receipt.txt")
    assert _schemas_of(right, schemas) == ["invoice"]
