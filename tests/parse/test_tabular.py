"""CSV/TSV come out as records with cell spans that slice back into the text."""

from __future__ import annotations

import pytest

from pipelines.model.document import Document, Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.errors import BadInput
from pipelines.parse import tabular

from .spans import check_spans


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

GERMAN_CSV = (
    "\ufeffKundennr;Name;Umsatz;Datum\r\n"
    "1001;Müller GmbH;\"1.234,50\";2024-01-31\r\n"
    "1002;\"Schmidt; Partner\";99,00;2024-02-01\r\n"
    "\r\n"
    "1003;\"Zeile\nUmbruch\";;2024-03-01\r\n"
).encode("utf-8")


def test_csv_semicolons_bom_and_quotes() -> None:
    doc = parse_bytes(GERMAN_CSV, name="kunden.csv")
    check_spans(doc)
    assert doc.media_type == "text/csv"
    assert doc.metadata["csv"]["delimiter"] == ";"
    (table,) = doc.elements
    assert table.kind is Kind.TABLE
    assert table.attrs["header"] == ["Kundennr", "Name", "Umsatz", "Datum"]  # no BOM in the first name
    assert table.attrs["records"] == [
        {"Kundennr": "1001", "Name": "Müller GmbH", "Umsatz": "1.234,50", "Datum": "2024-01-31"},
        {"Kundennr": "1002", "Name": "Schmidt; Partner", "Umsatz": "99,00", "Datum": "2024-02-01"},
        {"Kundennr": "1003", "Name": "Zeile\nUmbruch", "Umsatz": "", "Datum": "2024-03-01"},
    ]
    assert table.attrs["records_start"] == 1
    cells = {(c.row, c.col): c.text for c in table.cells}
    assert cells[(0, 0)] == "Kundennr" and cells[(2, 1)] == "Schmidt; Partner" and cells[(3, 1)] == "Zeile Umbruch"
    # records line up with the table's rows
    for i, record in enumerate(table.attrs["records"]):
        assert cells[(i + table.attrs["records_start"], 0)] == record["Kundennr"]


def test_csv_sniffed_without_extension_and_tsv() -> None:
    doc = parse_bytes(b"id,name,amount\n1,Acme,10.5\n2,Globex,7\n", name="export.txt")
    check_spans(doc)
    assert doc.media_type == "text/csv"
    assert doc.elements[0].attrs["records"][1] == {"id": "2", "name": "Globex", "amount": "7"}
    tsv = parse_bytes(b"sku\tqty\nA-1\t3\nB-2\t4\n", name="stock.tsv")
    check_spans(tsv)
    assert tsv.elements[0].attrs["records"] == [{"sku": "A-1", "qty": "3"}, {"sku": "B-2", "qty": "4"}]


def test_csv_without_header() -> None:
    doc = parse_bytes(b"1001,Acme,10.5\n1002,Globex,7.25\n1003,Initech,3\n", name="rows.csv")
    check_spans(doc)
    table = doc.elements[0]
    assert not doc.metadata["csv"]["header_detected"]
    assert table.attrs["records"][0] == {"column_1": "1001", "column_2": "Acme", "column_3": "10.5"}
    assert table.attrs["records_start"] == 0


def test_csv_big_file_is_chunked_with_header_repeated() -> None:
    lines = ["id,name,amount"] + [f"{i},Customer {i},{i * 2}.00" for i in range(1, 1201)]
    doc = parse_bytes("\n".join(lines).encode(), name="big.csv")
    check_spans(doc)
    tables = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert len(tables) == 3
    assert [t.attrs["row_offset"] for t in tables] == [0, 500, 1000]
    assert all(t.attrs["header"] == ["id", "name", "amount"] for t in tables)
    assert [len(t.attrs["records"]) for t in tables] == [500, 500, 200]
    assert tables[0].attrs["records_start"] == 1 and tables[1].attrs["records_start"] == 0
    assert tables[2].attrs["records"][-1] == {"id": "1200", "name": "Customer 1200", "amount": "2400.00"}
    last_cell = [c for c in tables[2].cells if c.row == 199 and c.col == 1][0]
    assert doc.text[last_cell.start : last_cell.end] == "Customer 1200"


def test_csv_undecodable_is_refused() -> None:
    doc = Document(id="x", source_path="x.csv", media_type="text/csv", size=0, name="x.csv")
    with pytest.raises(BadInput) as exc:
        tabular.parse(bytes(range(256)) * 50, TextBuilder(doc), None)
    assert exc.value.reason is Reason.UNDECODABLE
