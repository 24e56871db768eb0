"""Python and SQL are parsed as code (never imported or executed) and literal data comes out as records."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from pipelines.model.document import Document, Kind
from pipelines.parse.dispatch import parse_bytes

from .spans import check_spans


def _by_kind(doc: Document, kind: Kind) -> list:
    return [e for e in doc.elements if e.kind is kind]


# ---------------------------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------------------------


def _billing_module(marker: Path) -> str:
    return textwrap.dedent(
        f'''\
        #!/usr/bin/env python3
        """Billing data for Acme Energy.

        Customers and tariffs used by the invoicing job.
        """
        import datetime
        from decimal import Decimal

        # Importing this module must never happen: it would leave a marker and exit.
        open({str(marker)!r}, "w").write("imported!")
        raise SystemExit("never import me")

        # Known customers (kept in sync with the CRM)
        CUSTOMERS = [
            {{"id": 1, "name": "O'Brien & Sons", "country": "IE", "vip": True}},
            {{"id": 2, "name": "Müller GmbH", "country": "DE", "vip": False, "credit": None}},
        ]

        TARIFFS: dict[str, dict] = {{
            "basic": {{"price_kwh": 0.21, "currency": "EUR", "since": datetime.date(2024, 1, 1)}},
            "green": {{"price_kwh": Decimal("0.25"), "currency": "EUR", "tags": ("eco", "renewable")}},
        }}
        HANDLERS = [print, len]


        @dataclass(frozen=True)
        class Invoice(Base):
            """An invoice sent to one customer."""

            STATUSES = ("draft", "sent", "paid")

            def total(self, lines: list[float], *,
                      tax: float = 0.2) -> float:  # gross
                """Sum of the lines plus tax."""
                return sum(lines) * (1 + tax)

            async def send(self): return None


        def helper():
            def inner(x):
                return x
            local = {{"not": "module level"}}
            return inner
        '''
    )


@pytest.fixture()
def billing(tmp_path: Path) -> tuple[Document, Path]:
    marker = tmp_path / "imported.marker"
    src = _billing_module(marker)
    doc = parse_bytes(src.encode("utf-8"), name="billing.py")
    return doc, marker


def test_python_module_is_never_imported(billing: tuple[Document, Path]) -> None:
    doc, marker = billing
    check_spans(doc)
    assert doc.media_type == "text/x-python"
    assert not marker.exists()
    assert not doc.warnings


def test_python_symbols(billing: tuple[Document, Path]) -> None:
    doc, _ = billing
    symbols = {e.attrs["qualname"]: e for e in _by_kind(doc, Kind.CODE_SYMBOL)}
    assert set(symbols) == {"billing", "Invoice", "Invoice.total", "Invoice.send", "helper", "helper.<locals>.inner"}
    module = symbols["billing"]
    assert module.attrs["symbol_kind"] == "module"
    assert module.attrs["docstring"] == "Billing data for Acme Energy.\n\nCustomers and tariffs used by the invoicing job."
    cls = symbols["Invoice"]
    assert cls.attrs["symbol_kind"] == "class"
    assert cls.attrs["bases"] == ["Base"] and cls.attrs["decorators"] == ["dataclass(frozen=True)"]
    assert cls.text == '@dataclass(frozen=True)\nclass Invoice(Base):\n    """An invoice sent to one customer."""'
    total = symbols["Invoice.total"]
    assert total.attrs["symbol_kind"] == "method"
    assert total.attrs["signature"] == "def total(self, lines: list[float], *, tax: float = 0.2) -> float"
    assert total.attrs["docstring"] == "Sum of the lines plus tax."
    assert total.attrs["args"] == ["self", "lines", "tax"] and total.attrs["returns"] == "float"
    # signature + docstring, not the body
    assert "return sum" not in total.text and total.text.endswith('"""Sum of the lines plus tax."""')
    lines = doc.text  # the body is still in the document, as code
    assert "return sum(lines) * (1 + tax)" in lines
    assert total.attrs["line"] < total.attrs["end_line"]
    assert symbols["Invoice.send"].attrs["symbol_kind"] == "async method"
    assert symbols["helper.<locals>.inner"].attrs["symbol_kind"] == "function"


def test_python_literal_data(billing: tuple[Document, Path]) -> None:
    doc, _ = billing
    data = {e.attrs["qualname"]: e for e in _by_kind(doc, Kind.CODE_DATA)}
    assert set(data) == {"CUSTOMERS", "TARIFFS", "Invoice.STATUSES"}  # not HANDLERS, not function locals
    customers = data["CUSTOMERS"]
    assert customers.attrs["records"] == [
        {"id": 1, "name": "O'Brien & Sons", "country": "IE", "vip": True},
        {"id": 2, "name": "Müller GmbH", "country": "DE", "vip": False, "credit": None},
    ]
    assert customers.text.startswith("CUSTOMERS = [") and customers.text.endswith("]")
    assert customers.attrs["line"] == 14
    tariffs = data["TARIFFS"]
    assert tariffs.attrs["annotation"] == "dict[str, dict]"
    assert tariffs.attrs["records"] == [
        {"_key": "basic", "price_kwh": 0.21, "currency": "EUR", "since": "2024-01-01"},
        {"_key": "green", "price_kwh": "0.25", "currency": "EUR", "tags": ["eco", "renewable"]},
    ]
    json.dumps(tariffs.attrs["value"])  # JSON-compatible
    statuses = data["Invoice.STATUSES"]
    assert statuses.attrs["value"] == ["draft", "sent", "paid"] and statuses.attrs["scope"] == "class"
    assert statuses.text == 'STATUSES = ("draft", "sent", "paid")'
    assert "records" not in statuses.attrs


def test_python_data_text_is_the_assignment_source(billing: tuple[Document, Path], tmp_path: Path) -> None:
    import ast

    doc, _ = billing
    src = _billing_module(tmp_path / "imported.marker")
    tree = ast.parse(src)
    segments = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            segments.add(ast.get_source_segment(src, node))
    for e in _by_kind(doc, Kind.CODE_DATA):
        assert e.text in segments


def test_python_comments_become_paragraphs(billing: tuple[Document, Path]) -> None:
    doc, _ = billing
    comments = [e.attrs["comment"] for e in _by_kind(doc, Kind.PARAGRAPH)]
    assert "Known customers (kept in sync with the CRM)" in comments


def test_python_non_literals_kept_as_source() -> None:
    src = 'RATES = [{"plan": "x", "price": BASE * 2, "fn": compute}]\n'
    doc = parse_bytes(src.encode(), name="rates.py")
    check_spans(doc)
    (el,) = _by_kind(doc, Kind.CODE_DATA)
    assert el.attrs["records"] == [{"plan": "x", "price": "BASE * 2", "fn": "compute"}]
    assert el.attrs["expressions"] == ["[0].price", "[0].fn"]


def test_python2_or_broken_source_is_kept_and_marked() -> None:
    src = b'"""Legacy export script."""\nimport sys\n\ndef main():\n    print "hello"\n\nclass Job:\n    pass\n'
    doc = parse_bytes(src, name="legacy.py")
    check_spans(doc)
    assert doc.media_type == "text/x-python"
    assert doc.metadata["python"]["syntax_error"].startswith("Missing parentheses")
    assert any("does not parse" in w for w in doc.warnings)
    assert all(e.attrs.get("unparsed") for e in doc.elements)
    approx = {e.attrs["name"]: e.attrs["symbol_kind"] for e in _by_kind(doc, Kind.CODE_SYMBOL)}
    assert approx == {"main": "function", "Job": "class"}
    assert 'print "hello"' in doc.text


def test_python_non_ascii_columns_map_to_characters() -> None:
    src = 'NAMES = {"ä": "Ünïcödé", "b": "ok"}  # ß\nTAIL = ["x"]\n'
    doc = parse_bytes(src.encode(), name="n.py")
    check_spans(doc)
    names = [e for e in doc.elements if e.kind is Kind.CODE_DATA]
    assert [e.text for e in names] == ['NAMES = {"ä": "Ünïcödé", "b": "ok"}', 'TAIL = ["x"]']


# ---------------------------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------------------------

SQL_DUMP = """\
-- Customer master data
-- exported 2024-01-05
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL, -- legal name
    city TEXT,
    credit NUMERIC(10,2)
);

INSERT INTO customers (id, name, city, credit) VALUES
  (1, 'O''Brien & Sons', 'Dublin', 1200.50),
  (2, 'Acme; Ltd', NULL, -3),
  (3, 'Globex', 'Springfield', NULL);

INSERT INTO customers VALUES (4, 'Initech', 'Austin', 0);

/* SQL Server part */
CREATE TABLE [dbo].[Orders] ([id] INT IDENTITY(1,1) PRIMARY KEY, [customer_id] INT, [note] NVARCHAR(MAX))
GO
INSERT INTO [dbo].[Orders] ([customer_id], [note]) VALUES (1, N'Rush order'), (2, N'It''s late')
GO
SELECT * FROM customers WHERE name = 'a;b';
THIS IS NOT SQL AT ALL;
UPDATE customers SET city = 'Cork' WHERE id = 1;
COPY public.payments (id, customer_id, amount, memo) FROM stdin;
1\t1\t99.90\tfirst\\tpayment
2\t2\t\\N\tsemi;colon 'quote
\\.
INSERT INTO payments VALUES (3, 3, 10, 'x');
"""


@pytest.fixture(scope="module")
def sql_doc() -> Document:
    return parse_bytes(SQL_DUMP.encode(), name="dump.sql")


def test_sql_create_table(sql_doc: Document) -> None:
    check_spans(sql_doc)
    tables = {e.attrs["table"]: e for e in _by_kind(sql_doc, Kind.CODE_SYMBOL)}
    assert set(tables) == {"customers", "dbo.Orders"}
    cols = tables["customers"].attrs["columns"]
    assert [(c["name"], c["type"]) for c in cols] == [("id", "INTEGER"), ("name", "VARCHAR(100)"), ("city", "TEXT"), ("credit", "NUMERIC(10,2)")]
    assert cols[0]["primary_key"] and cols[1]["not_null"] and not cols[2]["not_null"]
    orders = tables["dbo.Orders"]
    assert orders.attrs["dialect"] == "tsql"  # generic sqlglot cannot read [bracketed] names
    assert [(c["name"], c["type"]) for c in orders.attrs["columns"]] == [("id", "INT"), ("customer_id", "INT"), ("note", "NVARCHAR(MAX)")]


def test_sql_insert_rows_are_records(sql_doc: Document) -> None:
    rows = [e for e in _by_kind(sql_doc, Kind.CODE_DATA) if e.attrs["table"] == "customers"]
    assert [e.attrs["record"] for e in rows] == [
        {"id": 1, "name": "O'Brien & Sons", "city": "Dublin", "credit": 1200.5},
        {"id": 2, "name": "Acme; Ltd", "city": None, "credit": -3},
        {"id": 3, "name": "Globex", "city": "Springfield", "credit": None},
        {"id": 4, "name": "Initech", "city": "Austin", "credit": 0},
    ]
    # each row's text is its own source tuple
    assert [e.text for e in rows] == [
        "(1, 'O''Brien & Sons', 'Dublin', 1200.50)",
        "(2, 'Acme; Ltd', NULL, -3)",
        "(3, 'Globex', 'Springfield', NULL)",
        "(4, 'Initech', 'Austin', 0)",
    ]
    assert [e.attrs["line"] for e in rows] == [11, 12, 13, 15]
    assert rows[3].attrs["columns_from"] == "create_table"  # INSERT without a column list


def test_sql_tsql_rows_copy_data_and_bad_statement(sql_doc: Document) -> None:
    orders = [e for e in _by_kind(sql_doc, Kind.CODE_DATA) if e.attrs["table"] == "dbo.Orders"]
    assert [e.attrs["record"] for e in orders] == [
        {"customer_id": 1, "note": "Rush order"},
        {"customer_id": 2, "note": "It's late"},
    ]
    assert orders[1].text == "(2, N'It''s late')"
    payments = [e for e in _by_kind(sql_doc, Kind.CODE_DATA) if e.attrs["table"] in ("public.payments", "payments")]
    assert [e.attrs["record"] for e in payments] == [
        {"id": "1", "customer_id": "1", "amount": "99.90", "memo": "first\tpayment"},
        {"id": "2", "customer_id": "2", "amount": None, "memo": "semi;colon 'quote"},
        {"column_1": 3, "column_2": 3, "column_3": 10, "column_4": "x"},
    ]
    # one statement no dialect understands costs only itself
    bad = [e for e in _by_kind(sql_doc, Kind.CODE) if e.attrs.get("statement") == "unparsed"]
    assert [e.text for e in bad] == ["THIS IS NOT SQL AT ALL"]
    assert any("1 of" in w and "could not be parsed" in w for w in sql_doc.warnings)
    statements = [e.attrs.get("statement") for e in _by_kind(sql_doc, Kind.CODE)]
    assert "select" in statements and "update" in statements
    comments = [e.attrs["comment"] for e in _by_kind(sql_doc, Kind.PARAGRAPH)]
    assert comments[0] == "Customer master data\nexported 2024-01-05"


def test_sql_mysql_dump_with_backslash_escapes() -> None:
    rows = ",\n".join(f"({i},'Name {i} O\\'Brien','C:\\\\data',{i * 1.5},NULL)" for i in range(3000))
    sql = (
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
        "DROP TABLE IF EXISTS `cust`;\n"
        "CREATE TABLE `cust` (\n  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,\n"
        "  `name` varchar(255) DEFAULT NULL,\n  `path` text,\n  `score` double DEFAULT NULL,\n"
        "  `x` int DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
        "LOCK TABLES `cust` WRITE;\n"
        f"INSERT INTO `cust` VALUES {rows};\nUNLOCK TABLES;\n"
    )
    t0 = time.monotonic()
    doc = parse_bytes(sql.encode(), name="backup.sql")
    assert time.monotonic() - t0 < 30
    check_spans(doc)
    data = _by_kind(doc, Kind.CODE_DATA)
    assert len(data) == 3000
    assert data[0].attrs["record"] == {"id": 0, "name": "Name 0 O'Brien", "path": "C:\\data", "score": 0.0, "x": None}
    assert data[2999].text == "(2999,'Name 2999 O\\'Brien','C:\\\\data',4498.5,NULL)"
    assert data[2999].attrs["line"] == 3011
    (create,) = _by_kind(doc, Kind.CODE_SYMBOL)
    assert create.attrs["columns"][0]["type"] == "int(11) unsigned" and create.attrs["dialect"] == "mysql"


def test_sql_txt_sniffed_and_parsed_as_sql() -> None:
    doc = parse_bytes(b"-- notes\nCREATE TABLE t (a INT, b TEXT);\nINSERT INTO t VALUES (1, 'x');\n", name="export.txt")
    check_spans(doc)
    assert doc.media_type == "application/sql"
    assert [e.attrs["record"] for e in _by_kind(doc, Kind.CODE_DATA)] == [{"a": 1, "b": "x"}]


def test_sql_insert_with_one_bad_row_keeps_the_others() -> None:
    sql = b"CREATE TABLE t (a INT, b TEXT);\nINSERT INTO t (a, b) VALUES (1, 'x'),\n (2, ???bad),\n (3, 'z');\nSELECT 1;\n"
    doc = parse_bytes(sql, name="partial.sql")
    check_spans(doc)
    rows = _by_kind(doc, Kind.CODE_DATA)
    assert [(e.text, e.attrs["record"], e.attrs["line"]) for e in rows] == [
        ("(1, 'x')", {"a": 1, "b": "x"}, 2),
        ("(3, 'z')", {"a": 3, "b": "z"}, 4),
    ]
    bad = [e for e in _by_kind(doc, Kind.CODE) if e.attrs.get("statement") == "unparsed"]
    assert [e.text for e in bad] == ["(2, ???bad)"]
    assert doc.warnings
