"""A .docx's style table is read once per distinct styles part and reused only for identical bytes."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.parts.styles import StylesPart

from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.docx import _open
from pipelines.parse.docx_styles import STYLES_REL, style_table


def _docx(secret_hidden: bool, text: str) -> bytes:
    d = docx.Document()
    style = d.styles.add_style("Secret", 2)  # WD_STYLE_TYPE.CHARACTER
    style.font.hidden = secret_hidden
    d.add_paragraph("Notes", style="Heading 1")
    d.add_paragraph("Amount: ").add_run(text, style="Secret")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_same_styles_part_shares_one_table() -> None:
    a, b = _docx(True, "111.00"), _docx(True, "222.00")
    assert a != b
    table = style_table(_open(a))
    assert style_table(_open(b)) is table
    assert table.paragraph_chain("Heading1")[0]["name"] == "Heading 1"
    assert table.visibility("Secret") == {"vanish": True}


def test_a_different_styles_part_is_read_again() -> None:
    hidden, shown = _docx(True, "333.00"), _docx(False, "333.00")
    assert style_table(_open(hidden)) is not style_table(_open(shown))
    # parsed one after the other (the second from a warm cache): each by its own styles
    for _ in range(2):
        doc = parse_bytes(hidden, name="a.docx")
        assert "333.00" not in doc.text and [h["reason"] for h in doc.hidden_text] == ["docx:vanish"]
        doc = parse_bytes(shown, name="b.docx")
        assert "Amount: 333.00" in doc.text and doc.hidden_text == []
        assert doc.elements[0].kind.value == "heading"


def test_the_styles_part_is_not_parsed_on_opening() -> None:
    """python-docx parsed all of styles.xml on opening (most of a .docx's parse time); it stays bytes."""
    part = _open(_docx(True, "444.00")).part.part_related_by(STYLES_REL)
    assert not isinstance(part, StylesPart) and part.blob.startswith(b"<?xml")


def test_a_styles_part_that_is_not_xml_quarantines_the_file() -> None:
    src, out = io.BytesIO(_docx(True, "555.00")), io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, b"<w:styles broken" if item.filename == "word/styles.xml" else zin.read(item))
    doc = parse_bytes(out.getvalue(), name="broken.docx")
    assert doc.status.value == "quarantined" and doc.reason.value == "corrupt"
    assert "could not be read" in doc.reason_text
