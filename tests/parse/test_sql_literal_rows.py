"""Plain-literal INSERTs are read without sqlglot per row, with exactly sqlglot's results.

Each dump is parsed twice: as shipped, and with the literal reader switched off (every statement
through sqlglot, as before); the document elements must be identical."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.model.document import Kind
from pipelines.parse import code_sql, sql_scan
from pipelines.parse.sql_statements import StatementParser
from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.sql_literals import literal_groups, literal_row

DUMPS = {
    "standard": """-- accounts
CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(40), balance DECIMAL(10,2), active BOOLEAN, note TEXT);
INSERT INTO accounts (id, name, balance, active, note) VALUES (1, 'O''Brien; Sons', -12.50, TRUE, NULL);
INSERT INTO accounts VALUES (2, '', 1e3, false, 'x -- not a comment');
INSERT INTO accounts (id, name, balance, active, note) VALUES
  (3, 'Multi
line', .5, true, 'a'),
  (4, 'b', 007, FALSE, '/* kept */'),
  (5, 'c', -0, NULL, 'd');
INSERT INTO accounts (id, name) VALUES (6, upper('fn')), (7, 'plain');
INSERT INTO accounts (id, name, balance) VALUES (8, 'cast', CAST('5' AS INT));
INSERT INTO accounts (id, name) VALUES (9, 'x') ON CONFLICT DO NOTHING;
INSERT INTO accounts (id, name, balance) VALUES (10, 'too', 1, 2, 3, 4, 5, 6);
""",
    "mysql": """CREATE TABLE `people` (`id` int NOT NULL, `name` varchar(40), `city` varchar(40)) ENGINE=InnoDB;
INSERT INTO `people` VALUES (1,'Ann','Leeds'),(2,'Bob','It\\'s here'),(3,'Cy',NULL);
INSERT INTO `people` (`id`, `name`, `city`) VALUES (4,'Di','Bath');
INSERT IGNORE INTO `people` VALUES (5,'Ed','York');
REPLACE INTO `people` VALUES (6,'Flo','Hull');
INSERT INTO `people` VALUES (7,'Gus','Ely') ON DUPLICATE KEY UPDATE name='Gus';
""",
}


def _elements(data: bytes, calls: list[str]) -> list[tuple]:
    doc = parse_bytes(data, name="dump.sql")
    calls.append(doc.metadata["sql"]["statements"])
    assert doc.status.value == "parsed", doc.reason_text
    return [(e.kind, e.text, e.start, e.end, e.attrs) for e in doc.elements] + [("meta", doc.metadata.get("sql"))]


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_literal_reader_gives_the_same_elements_as_sqlglot(name, monkeypatch):
    data = DUMPS[name].encode()
    parsed: list[str] = []  # statements sqlglot was asked to read
    real = StatementParser.parse
    monkeypatch.setattr(StatementParser, "parse", lambda self, sql: parsed.append(sql) or real(self, sql))
    fast = _elements(data, [])
    by_sqlglot_fast = len(parsed)
    monkeypatch.setattr(sql_scan, "INSERT_STATEMENT", re.compile(r"(?!)"))
    monkeypatch.setattr(code_sql, "add_literal_insert", lambda *a, **k: None)
    slow = _elements(data, [])
    assert fast == slow
    assert by_sqlglot_fast <= len(parsed) - by_sqlglot_fast + 2  # probes of new heads only
    rows = [e for e in fast if e[0] == Kind.CODE_DATA]
    assert len(rows) >= 6


def test_a_generated_dump_keeps_every_row_and_asks_sqlglot_once_per_head(monkeypatch):
    import sys

    parsed: list[str] = []
    real = StatementParser.parse
    monkeypatch.setattr(StatementParser, "parse", lambda self, sql: parsed.append(sql) or real(self, sql))

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.sql_dump import make_dump

    for style in ("single", "extended"):
        doc = parse_bytes(make_dump(1500, style), name="dump.sql")
        rows = [e for e in doc.elements if e.kind.value == "code_data"]
        assert len(rows) == 1500 and rows[-1].attrs["record"]["id"] == 1500
        assert all(doc.text[e.start:e.end] == e.text for e in rows[:50])
    assert len(parsed) == 4  # CREATE TABLE and the INSERT head, per dump


def test_literal_rows_and_what_is_left_to_sqlglot():
    assert literal_row("(1, 'a''b', -2.5, NULL, true)") == [1, "a'b", -2.5, None, True]
    for row in ("(1, now())", "(1, 'it\\'s')", "(x'0F')", "(1 2)", "()", "(1,)", "(N'abc')"):
        assert literal_row(row) is None, row
    assert literal_groups("INSERT INTO t SELECT 1") is None
    assert literal_groups("INSERT INTO t VALUES (1) RETURNING id") is None
