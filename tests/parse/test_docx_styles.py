"""A .docx's style table is read once per distinct styles part and reused only for identical bytes."""

from __future__ import annotations

import io

import docx

from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.docx import _open
from pipelines.parse.docx_styles import style_table


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
    table = style_table(_open(a), a)
    assert style_table(_open(b), b) is table
    assert table.paragraph_chain("Heading1")[0]["name"] == "Heading 1"
    assert table.visibility("Secret") == {"vanish": True}


def test_a_different_styles_part_is_read_again() -> None:
    hidden, shown = _docx(True, "333.00"), _docx(False, "333.00")
    assert style_table(_open(hidden), hidden) is not style_table(_open(shown), shown)
    # parsed one after the other (the second from a warm cache): each by its own styles
    for _ in range(2):
        doc = parse_bytes(hidden, name="a.docx")
        assert "333.00" not in doc.text and [h["reason"] for h in doc.hidden_text] == ["docx:vanish"]
        doc = parse_bytes(shown, name="b.docx")
        assert "Amount: 333.00" in doc.text and doc.hidden_text == []
        assert doc.elements[0].kind.value == "heading"
