"""The KB and raw store on an S3-compatible server (moto_server), and bad URLs refused at start."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import storage
from pipelines.land.kb import KnowledgeBase
from pipelines.land.query import run_query
from tests.support.servers import bucket_keys, make_bucket
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
MAPPER = str(Path(sys.executable).parent / "mapper")
SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                    pa.field("document_id", pa.string(), nullable=False),
                    pa.field("source_path", pa.string()), pa.field("n", pa.int64()), pa.field("batch_id", pa.string())])


@pytest.mark.parametrize("value,message", [
    ("ftp://host/kb", "unsupported storage URL"),
    ("s3:/bucket/kb", "malformed"),  # what Path("s3://bucket/kb") turns a URL into
    ("s3://", "malformed"),
])
def test_bad_locations_are_an_error_at_start(tmp_path, value, message):
    with pytest.raises(storage.UnsupportedStorageError, match=message):
        storage.location(value)
    proc = subprocess.run([MAPPER, "run", "--direct", str(REPO / "data_samples" / "code")], cwd=tmp_path,
                          env=os.environ | {"MAPPER_KB": value}, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []  # no folder named after the URL, nothing at all


def test_locations():
    assert storage.location("s3://bucket/kb/") == "s3://bucket/kb"
    assert storage.join("s3://bucket/kb", "invoice") == "s3://bucket/kb/invoice"
    assert storage.location("relative/kb") == str(Path("relative/kb").absolute())
    assert storage.state_dir("s3://bucket/kb/../x").parts[-4:] == ("s3", "bucket", "kb", "x")  # never climbs out
    from pipelines.cli import dagster_ui_command
    from pipelines.config import Settings

    assert "MAPPER_KB=s3://bucket/kb " in dagster_ui_command(Settings(kb_root=storage.kb_setting("s3://bucket/kb")))


def test_delta_tables_on_s3(s3_server, s3_env):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    kb = KnowledgeBase(f"s3://{bucket}/kb")
    rows = [{"record_id": f"r{i}", "document_id": "d", "source_path": "p", "n": i} for i in range(5)]
    kb.write_records("invoice", rows, SCHEMA, "b1")
    kb.write_records("invoice", rows[:2], SCHEMA, "b2", supersede_documents=["d"])  # one MERGE commit
    assert sorted(kb.read("invoice").column("record_id").to_pylist()) == ["r0", "r1"]
    assert kb.tables() == ["invoice"] and len(kb.history("invoice")) == 2
    assert kb.read("invoice", as_of=0).num_rows == 5
    assert run_query(kb.root, "SELECT count(*) AS n FROM invoice")["n"].tolist() == [2]
    assert any(k.startswith("kb/invoice/_delta_log/") for k in bucket_keys(s3_server, bucket))


def test_mapper_run_and_query_with_the_kb_on_s3(tmp_path, s3_server, s3_env):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    env = os.environ | s3_env | {"MAPPER_KB": f"s3://{bucket}/kb", "MAPPER_STATE": str(tmp_path / "state"),
                          "MAPPER_SCHEMAS": str(REPO / "schemas"), "MAPPER_MAPPINGS": str(MAPPINGS)}
    run = subprocess.run([MAPPER, "run", "--direct", "--json", str(REPO / "data_samples" / "code")], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    keys = bucket_keys(s3_server, bucket)
    assert any(k.startswith("kb/documents/_delta_log/") for k in keys)
    assert any(k.startswith("kb/_raw/") for k in keys)  # the originals are in the bucket too
    assert not (tmp_path / "s3:").exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"state"}  # at most the transient state is local
    query = subprocess.run([MAPPER, "query", "--format", "csv", "SELECT outcome, count(*) AS n FROM documents GROUP BY 1"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert query.returncode == 0, query.stderr[-2000:]
    assert "landed" in query.stdout
