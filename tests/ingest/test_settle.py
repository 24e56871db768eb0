"""Temporary, partial and lock names; end markers of PDF and ZIP-based formats on real files."""

from pathlib import Path

import pytest

from pipelines.ingest.settle import is_temp_name, missing_end_marker

REPO = Path(__file__).resolve().parents[2]
PDF = REPO / "data_samples/invoices/aquaflow_0142.pdf"
DOCX = REPO / "data_samples/contracts/chemical_supply_hartwell.docx"


@pytest.mark.parametrize("name", [".invoice.pdf.Xy12Ab", "invoice.pdf.part", "invoice.pdf.crdownload", "x.tmp",
                                  "~$contract.docx", ".~lock.contract.docx#", "Report.PDF.PART", "notes.txt~",
                                  "big.zip.filepart", "._invoice.pdf"])
def test_temp_partial_and_lock_names_are_recognised(name):
    assert is_temp_name(name)


@pytest.mark.parametrize("name", ["invoice.pdf", "contract.docx", "2026-01-07_no-water.eml", "part_list.csv",
                                  "temperature.txt", "lock_report.pdf"])
def test_ordinary_names_are_inputs(name):
    assert not is_temp_name(name)


@pytest.mark.parametrize("src", [PDF, DOCX])
def test_a_file_cut_short_lacks_its_end_marker(src, tmp_path):
    whole, half = tmp_path / f"whole{src.suffix}", tmp_path / f"half{src.suffix}"
    data = src.read_bytes()
    whole.write_bytes(data)
    half.write_bytes(data[: len(data) // 2])
    assert missing_end_marker(whole) is None
    assert missing_end_marker(half)


def test_formats_without_an_end_marker_are_complete_when_stable(tmp_path):
    p = tmp_path / "note.txt"
    p.write_text("half a line")
    assert missing_end_marker(p) is None
