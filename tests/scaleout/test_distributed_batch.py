"""End to end on real servers: a data_samples batch through Dagster with its steps on two Celery
workers (Redis broker), run storage on PostgreSQL, the KB and raw store on the S3 server; then
`mapper query` on that KB. Counts reconcile, the objects are in the bucket, no local `s3:` folder.

The launcher and each worker have their own working folder and MAPPER_STATE, as on separate
machines: the stages hand off through the bucket (`<kb>/_work/<batch>/`), no local work folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2

from tests.support.servers import bucket_keys, make_bucket, stop_process
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INPUTS = ("code",)  # SQL and Python files: fast to parse, many records


def test_batch_on_celery_workers_postgres_and_s3(tmp_path, s3_server, postgres, redis):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        f"storage:\n  postgres:\n    postgres_url: {postgres.url}\n")
    worker_cfg = tmp_path / "celery.yaml"
    worker_cfg.write_text(json.dumps({"execution": {"config": {"broker": redis.url, "backend": redis.url}}}))
    inputs = tmp_path / "inputs"
    for name in INPUTS:
        shutil.copytree(REPO / "data_samples" / name, inputs / name, ignore=shutil.ignore_patterns("*.expected.json"))
    n_inputs = sum(1 for p in inputs.rglob("*") if p.is_file())
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = os.environ | s3_server.env | {
        "DAGSTER_HOME": str(home), "MAPPER_KB": f"s3://{bucket}/kb", "MAPPER_STATE": str(tmp_path / "state"),
        "MAPPER_SCHEMAS": str(REPO / "schemas"), "MAPPER_MAPPINGS": str(MAPPINGS),
        "MAPPER_EXECUTOR": "celery", "MAPPER_CELERY_BROKER": redis.url, "MAPPER_WORKERS": "0",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO),
    }
    # The storage's tables are made once, before any worker starts: two workers starting on an
    # empty database both create them, and one of them dies on PostgreSQL's duplicate type name.
    migrate = subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=cwd, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, (migrate.stdout + migrate.stderr)[-4000:]
    workers = []
    for i in range(2):  # "machines" that share only the servers
        (tmp_path / f"machine{i}").mkdir()
        workers.append(subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
             "-y", str(worker_cfg), "-n", f"mapper-{i}", "--", "--concurrency=1"],
            cwd=tmp_path / f"machine{i}", env=env | {"MAPPER_STATE": str(tmp_path / f"machine{i}" / "state")},
            stdout=open(tmp_path / f"worker{i}.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True))
    try:
        batch = "celery-e2e"
        register = tmp_path / "register.yaml"
        register.write_text(json.dumps({"ops": {"register": {"config": {"batch_id": batch, "paths": [str(inputs)]}}}}))
        dagster = [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions"]
        for args in (["-j", "register_batch", "-c", str(register)],
                     ["-j", "process_batch", "--tags", json.dumps({"dagster/partition": batch})]):
            proc = subprocess.run(dagster + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

        logs = [(tmp_path / f"worker{i}.log").read_text(errors="replace") for i in range(2)]
        # a worker's log opens with its failure: print each log's start and end whole
        shown = "\n".join(f"--- worker {i} log:\n{log[:4000]}\n...\n{log[-2000:]}" for i, log in enumerate(logs))
        assert all(p.poll() is None for p in workers), shown  # both workers up to the end
        executed = [log.count("succeeded in") for log in logs]
        assert sum(executed) >= 6, shown  # every step of the asset graph ran on a worker

        query = subprocess.run([str(BIN / "mapper"), "query", "--format", "json",
                                "SELECT outcome, count(*) AS n FROM documents WHERE parent_id IS NULL GROUP BY 1"],
                               cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert query.returncode == 0, query.stderr[-3000:]
        counts = {r["outcome"]: r["n"] for r in json.loads(query.stdout)}
        assert sum(counts.values()) == n_inputs and counts.get("landed", 0) > 0  # every input in one place
        keys = bucket_keys(s3_server, bucket)
        assert any(k.startswith("kb/documents/_delta_log/") for k in keys)
        assert any(k.startswith("kb/_raw/") for k in keys)
        assert not (cwd / "s3:").exists() and not (REPO / "s3:").exists()
        # The hand-offs went through the bucket; no machine has a local work folder or manifest.
        assert f"kb/_batches/{batch}.json" in keys and f"kb/_work/{batch}/landed.json" in keys
        assert {f"kb/_work/{batch}/{name}" for name in ("parsed.jsonl", "extracted.jsonl", "validated.jsonl")} <= set(keys)
        assert not [p for p in tmp_path.rglob("*") if p.name in ("_work", "_batches")]

        with psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="dagster") as con:
            with con.cursor() as cur:  # the runs are recorded in PostgreSQL
                cur.execute("SELECT status FROM runs WHERE pipeline_name = 'process_batch'")
                assert [r[0] for r in cur.fetchall()] == ["SUCCESS"]
    finally:
        for p in workers:
            stop_process(p, timeout=30)
        time.sleep(0.1)
