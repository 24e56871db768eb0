"""`mapper kb tables/history/compact/vacuum` and `mapper query --as-of` on a real Delta KB."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.land.kb import KnowledgeBase

SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                    pa.field("document_id", pa.string(), nullable=False),
                    pa.field("total", pa.int64()), pa.field("batch_id", pa.string())])


def count(root: Path, *extra: str) -> int:
    out = mapper("query", "--kb", str(root), *extra, "--format", "json", "SELECT count(*) AS n FROM invoice")
    return json.loads(out)[0]["n"]


def mapper(*args: str) -> str:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_kb_commands_and_time_travel(tmp_path: Path):
    root = tmp_path / "kb"
    kb = KnowledgeBase(root)
    for n in range(4):
        kb.write_records("invoice", [{"record_id": f"r{n}", "document_id": f"d{n}", "total": n}], SCHEMA, f"b{n}")
    yesterday = datetime.now(timezone.utc).isoformat()
    time.sleep(0.05)
    kb.delete_documents("invoice", ["d0", "d1"])

    assert "invoice\tversion 4\t2 rows" in mapper("kb", "tables", "--kb", str(root))
    history = mapper("kb", "history", "invoice", "--kb", str(root)).splitlines()
    assert len(history) == 5 and history[0].startswith("v4") and "DELETE" in history[0]
    assert count(root) == 2
    assert count(root, "--as-of", yesterday) == 4  # what the KB said then
    assert count(root, "--as-of", "1") == 2  # version 1: two writes in

    assert "files -> 1" in mapper("kb", "compact", "--kb", str(root))
    assert "would be removed" in mapper("kb", "vacuum", "--kb", str(root), "--retain-hours", "0", "--dry-run")
    out = mapper("kb", "vacuum", "invoice", "--kb", str(root), "--retain-hours", "0")
    assert "invoice:" in out and not out.startswith("invoice: 0 ")
    assert len(list((root / "invoice").glob("*.parquet"))) == 1
    assert count(root) == 2

    res = CliRunner().invoke(main, ["kb", "history", "nope", "--kb", str(root)])
    assert res.exit_code != 0 and "no table nope" in res.output
