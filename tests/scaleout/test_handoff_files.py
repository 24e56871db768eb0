"""Stage hand-offs through the storage layer: beside the KB, in its bucket when it is a URL.

The same calls on a local KB and on the S3 server: manifests, JSON status files and stage
streams round-trip; a stage that fails midway leaves no object; removing a run's work data
keeps its status files; nothing is written to a local folder for a KB URL.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from pipelines.parse.run import parse_file
from pipelines.run import batch, files
from pipelines.run_guard import remove_work_data
from tests.support.servers import bucket_keys, make_bucket

REPO = Path(__file__).resolve().parents[2]
INPUTS = REPO / "data_samples" / "code"


def _round_trip(root: str) -> None:
    doc = parse_file(sorted(p for p in INPUTS.iterdir() if p.is_file() and not p.name.endswith(".json"))[0])
    wd = files.work_dir(root, "b1")
    assert files.dump_stream(wd / files.PARSED, [doc, doc]) == 2
    back = list(files.load_stream(wd / files.PARSED))
    assert [d.id for d in back] == [doc.id, doc.id] and back[0].text == doc.text
    files.write_json(wd / "summary.json", {"inputs": 2, "batch_id": "b1"})
    assert files.read_json(wd / "summary.json") == {"inputs": 2, "batch_id": "b1"}
    assert files.read_json(wd / "hold.json", {"held": False}) == {"held": False}

    def failing():
        yield doc
        raise RuntimeError("the stage broke")

    with pytest.raises(RuntimeError):
        files.dump_stream(wd / files.EXTRACTED, failing())
    assert not (wd / files.EXTRACTED).exists()  # nothing half-written
    with pytest.raises(FileNotFoundError, match="run the previous stage"):
        list(files.load_stream(wd / files.EXTRACTED))

    assert remove_work_data(root, "b1")  # the documents' text goes, the counts stay
    assert sorted(p.name for p in wd.iterdir()) == ["summary.json"]
    assert batch.register_batch(root, "b2", [INPUTS]) == batch.batch_files(root, "b2")
    assert batch.batches(root) == ["b2"] and batch.unlanded_batches(root) == ["b2"]


def test_handoffs_in_a_local_kb(tmp_path):
    _round_trip(str(tmp_path / "kb"))
    assert sorted(p.name for p in (tmp_path / "kb").iterdir()) == ["_batches", "_work"]
    assert not list((tmp_path / "kb").rglob(".tmp-*"))


def test_handoffs_in_the_kb_bucket(tmp_path, s3_server, s3_env, monkeypatch):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAPPER_STATE", str(tmp_path / "state"))
    _round_trip(f"s3://{bucket}/kb")
    keys = bucket_keys(s3_server, bucket)
    assert "kb/_work/b1/summary.json" in keys and "kb/_batches/b2.json" in keys
    assert not any(k.startswith("kb/_work/b1/") and k.endswith(".jsonl") for k in keys)
    assert list(tmp_path.iterdir()) == []  # no local work folder, no `s3:` folder
