"""Media types come from content, not the file name; the extension only breaks ties between text formats."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipelines.ingest import sniff as mt
from pipelines.ingest.sniff import sniff
from pipelines.parse.dispatch import parse_bytes

PYTHON_SRC = b'"""Export job."""\nimport csv\n\n\ndef run(path):\n    """Write the export."""\n    return path\n'
SQL_SRC = b"-- nightly export\nCREATE TABLE t (id INT, name TEXT);\nINSERT INTO t VALUES (1, 'a');\n"
HTML_SRC = b"<!DOCTYPE html><html><head><title>x</title></head><body><p>Hello</p></body></html>"
EML_SRC = (
    b"From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Invoice 42\r\n"
    b"Date: Mon, 5 Feb 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\r\nPlease find the invoice attached.\r\n"
)
PROSE = (
    b"Dear Mr. Smith,\n\nThank you for your order of 12 March. We will ship it next week, "
    b"as agreed on the phone, and send the invoice separately.\n\nKind regards,\nAcme Ltd\n"
)
MARKDOWN = b"# Release notes\n\nSee [the docs](https://example.com/docs) for details.\n\n## Fixes\n\n- faster export\n"


def _docx() -> bytes:
    from docx import Document as Docx

    buf = io.BytesIO()
    d = Docx()
    d.add_paragraph("Invoice number: 42")
    d.save(buf)
    return buf.getvalue()


def _pptx() -> bytes:
    from pptx import Presentation

    buf = io.BytesIO()
    Presentation().save(buf)
    return buf.getvalue()


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b'[{"id": 1}, {"id": 2}]', "customers.txt", mt.JSON),
        (b'{"a": {"b": [1, 2]}}', "config", mt.JSON),
        (b'{"id": 1}\n{"id": 2}\n', "events.log", mt.JSON),  # JSON Lines
        (b'[{"id": 1}, {"id": 2},]', "broken.json", mt.JSON),  # broken, but JSON by name: the parser says where
        (SQL_SRC, "export.txt", mt.SQL),
        (b"/*!40101 SET NAMES utf8 */;\nDROP TABLE IF EXISTS `t`;\nCREATE TABLE `t` (`id` int);\n", "dump", mt.SQL),
        (PYTHON_SRC, "export_job.txt", mt.PYTHON),
        (b'print "python 2"\n', "legacy.py", mt.PYTHON),  # broken Python is still code
        (b"CUSTOMERS = [\n    {'id': 1},\n]\n", "data.txt", mt.PYTHON),
        (HTML_SRC, "page.txt", mt.HTML),
        (b"<div class='x'><p>Hello <b>there</b></p><ul><li>a</li></ul></div>", "fragment.txt", mt.HTML),
        (EML_SRC, "message.txt", mt.EML),
        (MINIMAL_PDF, "report.docx", mt.PDF),
        (b"id;name;amount\n1;Acme;10,5\n2;Globex;7\n", "rows.txt", mt.CSV),
        (b"id,name\n1,Acme\n", "rows.csv", mt.CSV),
        (PROSE, "letter.txt", mt.TEXT),
        (b"Hello, world\nGood morning, everyone\n", "greeting.txt", mt.TEXT),
        (MARKDOWN, "notes.txt", mt.MARKDOWN),
        (b"Plain notes without any markup at all.\n", "notes.md", mt.MARKDOWN),
        (b"| plan | price |\n|------|-------|\n| a | 1 |\n| b | 2 |\n", "table.txt", mt.MARKDOWN),
        (b"Select the customers from the list, then press OK.\nUpdate the form.\n", "howto.txt", mt.TEXT),
        (b"SELECT id, name FROM customers WHERE active = 1;\n", "query.txt", mt.SQL),
        (b"# Setup\n\nRun `make`. Then read [docs](http://x.y/docs).\n", "README", mt.MARKDOWN),
    ],
)
def test_text_kinds_by_content(data: bytes, name: str, expected: str) -> None:
    assert sniff(data, name) == expected


def test_office_containers_by_content() -> None:
    assert sniff(_docx(), "scan.pdf") == mt.DOCX
    assert sniff(_pptx(), "slides.zip") == mt.PPTX
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "x")
    assert sniff(buf.getvalue(), "report.docx") == mt.ZIP


def test_rtf_and_binary() -> None:
    assert sniff(rb"{\rtf1\ansi Hello\par}", "note.txt") == mt.RTF
    assert sniff(bytes(range(256)) * 20, "data.txt") == mt.BINARY


def test_mismatch_is_parsed_by_content_with_a_warning() -> None:
    doc = parse_bytes(b'[{"id": 1, "name": "Acme"}]', name="customers.txt")
    assert doc.media_type == mt.JSON
    assert doc.elements[0].attrs["record"] == {"id": 1, "name": "Acme"}
    assert any("does not match content" in w for w in doc.warnings)


def test_python_with_sql_strings_stays_python() -> None:
    src = b'import db\n\nQUERY = """\nSELECT id, name FROM customers;\n"""\n\ndef load():\n    return db.run(QUERY)\n'
    assert sniff(src, "loader") == mt.PYTHON


def test_markdown_with_sql_block_stays_markdown() -> None:
    src = b"# Queries\n\nRun this:\n\n```sql\nSELECT id FROM customers;\n```\n\nSee [wiki](http://w/x).\n"
    assert sniff(src, "queries.md") == mt.MARKDOWN
    assert sniff(src, "queries.txt") == mt.MARKDOWN
