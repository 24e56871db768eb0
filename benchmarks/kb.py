"""KB landing throughput and query latency: the Delta tables vs the Parquet-file writer they replaced.

    python benchmarks/kb.py                 # 100,000 records, local disk and the S3 test server
    python benchmarks/kb.py --records 20000 --no-s3

The workload is what `mapper run` does: records land in batches of 2,000 (one write per
batch, an upsert by record_id), then 10% of them are re-processed (upserted again); a query
groups all records. "Parquet files" is the writer before the Delta tables (commit
PARQUET_COMMIT), extracted from git history into a temp folder and run unchanged; it works on
local disk only, so the S3 figures compare with its local-disk figures. Printed as ratios
(new / old; < 1 is faster for times, > 1 better for throughput). Needs git and, for S3,
moto_server (the dev extra).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PARQUET_COMMIT = "4ab4ea8"  # the last commit with the Parquet-file writer (land/kb.py + land/atomic.py)
BATCH = 2_000
SCHEMA = pa.schema([
    pa.field("record_id", pa.string(), nullable=False), pa.field("document_id", pa.string(), nullable=False),
    pa.field("source_path", pa.string()), pa.field("invoice_number", pa.string()),
    pa.field("issuer_name", pa.string()), pa.field("total_amount", pa.decimal128(18, 2)),
    pa.field("currency", pa.string()), pa.field("extracted_at", pa.timestamp("us", tz="UTC")),
    pa.field("batch_id", pa.string()),
])
QUERY = "SELECT currency, count(*) AS n, sum(total_amount) AS total FROM invoice GROUP BY 1 ORDER BY 1"


def records(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [{"record_id": f"{i:012d}", "document_id": f"doc{i // 2:010d}", "source_path": f"in/{i // 2}.pdf",
             "invoice_number": f"INV-{i}", "issuer_name": f"Supplier {rnd.randrange(500)}",
             "total_amount": Decimal(rnd.randrange(1, 10_000_000)) / 100, "currency": rnd.choice(["EUR", "GBP", "USD"]),
             "extracted_at": now} for i in range(n)]


def old_writer(tmp: Path):
    """The Parquet-file KnowledgeBase as it was, loaded from git history."""
    pkg = tmp / "oldkb"
    pkg.mkdir()
    for name in ("kb", "atomic"):
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{PARQUET_COMMIT}:pipelines/land/{name}.py"],
                             check=True, capture_output=True, text=True).stdout
        (pkg / f"{name}.py").write_text(src.replace("from pipelines.land import atomic", "from oldkb import atomic"))
    (pkg / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp))
    import oldkb.kb  # noqa: PLC0415

    return oldkb.kb.KnowledgeBase


def land(kb, rows: list[dict]) -> float:
    t0 = time.perf_counter()
    for b in range(0, len(rows), BATCH):
        kb.write_records("invoice", rows[b:b + BATCH], SCHEMA, f"b{b // BATCH}")
    return time.perf_counter() - t0


def old_query(root: Path) -> float:
    """What `mapper query` did over the Parquet files: a sandboxed connection with one view per table."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute(f"CREATE VIEW invoice AS SELECT * FROM read_parquet('{root}/invoice/**/*.parquet', "
                "union_by_name = true, hive_partitioning = false)")
    con.execute(f"SET allowed_directories = ['{root}/invoice/']")
    for setting in ("temp_directory = ''", "enable_external_access = false", "autoinstall_known_extensions = false",
                    "autoload_known_extensions = false", "lock_configuration = true"):
        con.execute(f"SET {setting}")
    con.sql(QUERY).fetchall()
    con.close()
    return time.perf_counter() - t0


def new_query(root: str) -> float:
    from pipelines.land.query import run_query

    t0 = time.perf_counter()
    run_query(root, QUERY)
    return time.perf_counter() - t0


def measure(kb, rows, query) -> dict[str, float]:
    first = land(kb, rows)
    again = rows[:: 10]
    t0 = time.perf_counter()
    for b in range(0, len(again), BATCH):
        kb.write_records("invoice", again[b:b + BATCH], SCHEMA, f"r{b // BATCH}")
    rerun = time.perf_counter() - t0
    q = min(query() for _ in range(3))
    return {"land_rps": len(rows) / first, "rerun_rps": len(again) / rerun, "query_s": q}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--no-s3", action="store_true")
    args = ap.parse_args()
    rows = records(args.records)
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    try:
        from pipelines.land.kb import KnowledgeBase

        Old = old_writer(tmp)
        old = measure(Old(tmp / "old"), rows, lambda: old_query(tmp / "old"))
        new = measure(KnowledgeBase(tmp / "new"), rows, lambda: new_query(str(tmp / "new")))
        results = {"parquet files, local": old, "delta, local": new}
        if not args.no_s3:
            sys.path.insert(0, str(ROOT))
            from tests.support.servers import make_bucket, start_s3

            server = start_s3(tmp)
            try:
                os.environ.update(server.env)
                bucket = f"bench-{uuid.uuid4().hex[:8]}"
                make_bucket(server, bucket)
                url = f"s3://{bucket}/kb"
                results["delta, S3 server"] = measure(KnowledgeBase(url), rows, lambda: new_query(url))
            finally:
                server.stop()
        print(f"{args.records:,} records, batches of {BATCH:,}; re-run: every 10th record again")
        print(f"{'':24}{'land rec/s':>12}{'re-run rec/s':>14}{'query s':>10}")
        for name, r in results.items():
            print(f"{name:24}{r['land_rps']:12,.0f}{r['rerun_rps']:14,.0f}{r['query_s']:10.3f}")
        for name, r in results.items():
            if name.startswith("parquet"):
                continue
            print(f"ratio {name} / parquet files, local: landing {r['land_rps'] / old['land_rps']:.2f}x throughput, "
                  f"re-run {r['rerun_rps'] / old['rerun_rps']:.2f}x throughput, query {r['query_s'] / old['query_s']:.2f}x time")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
