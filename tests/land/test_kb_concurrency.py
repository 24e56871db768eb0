"""Four processes land overlapping batches into the same Delta tables at once.

Real OS processes, real commits on a local KB (tests/scaleout/test_s3_concurrency.py runs the
same writers against the S3 server): no row is lost or duplicated, every record_id
is unique, and the history holds one commit per write.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pipelines.land.catalog import Catalog
from pipelines.land.kb import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]
WRITERS, BATCHES, PER_BATCH = 4, 3, 30

WRITER = textwrap.dedent("""
    import sys
    import pyarrow as pa
    from pipelines.land.catalog import Catalog
    from pipelines.land.kb import KnowledgeBase
    root, w, batches, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    schema = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                        pa.field("document_id", pa.string(), nullable=False),
                        pa.field("source_path", pa.string()), pa.field("writer", pa.int64()),
                        pa.field("batch_id", pa.string())])
    kb = KnowledgeBase(root)
    for b in range(batches):
        # Overlap: writer w's batch b shares half its documents with writer w+1's.
        start = (w * batches + b) * per // 2
        rows = [{"record_id": f"r{i}", "document_id": f"d{i}", "source_path": f"in/d{i}.pdf", "writer": w}
                for i in range(start, start + per)]
        kb.write_records("invoice", rows, schema, f"w{w}-b{b}")
        Catalog(kb).write_documents([{"document_id": r["document_id"], "source_path": r["source_path"],
                                      "status": "parsed", "outcome": "landed", "schema": "invoice",
                                      "n_records": 1} for r in rows], f"w{w}-b{b}")
""")


def land_concurrently(root: str, env: dict[str, str] | None = None) -> None:
    """Start WRITERS processes landing into `root` at once and wait for all of them."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, root, str(w), str(BATCHES), str(PER_BATCH)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(WRITERS)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]


def check_landed(kb: KnowledgeBase) -> None:
    """Every row of every writer once, and one commit per write in each table's history."""
    expected = {f"r{i}" for w in range(WRITERS) for b in range(BATCHES)
                for i in range((w * BATCHES + b) * PER_BATCH // 2, (w * BATCHES + b) * PER_BATCH // 2 + PER_BATCH)}
    ids = kb.read("invoice", ["record_id"]).column("record_id").to_pylist()
    assert len(ids) == len(set(ids)) == len(expected)  # nothing duplicated ...
    assert set(ids) == expected  # ... nothing lost
    docs = Catalog(kb).read_documents().to_pylist()
    assert len(docs) == len({(d["document_id"], d["source_path"]) for d in docs}) == len(expected)
    for table in ("invoice", "documents"):  # one commit per write, none lost to a race
        history = kb.history(table)
        assert len(history) == WRITERS * BATCHES
        assert sorted(h["version"] for h in history) == list(range(WRITERS * BATCHES))


def test_four_processes_land_overlapping_batches(tmp_path):
    root = tmp_path / "kb"
    land_concurrently(str(root))
    check_landed(KnowledgeBase(root))
