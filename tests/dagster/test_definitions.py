"""The code location loads, has the expected graph, and `dg check defs` passes."""

from __future__ import annotations

import os
import shutil
import sys
import subprocess
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

REPO = Path(__file__).resolve().parents[2]
STAGES = ["raw_documents", "parsed_documents", "extracted_records", "validated_records", "knowledge_base", "review_queue"]


def _defs() -> dg.Definitions:
    return defs()


def test_definitions_have_stage_assets_checks_jobs_sensor_schedule():
    d = _defs()
    graph = d.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert set(STAGES) | {"mapping_rules", "canonical_schemas", "llm_policy"} <= keys
    checks = {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys}
    assert {"validated_records:counts_reconcile", "validated_records:batch_not_held",
            "knowledge_base:landing_reconciles", "knowledge_base:required_fields_complete",
            "knowledge_base:unique_record_ids", "knowledge_base:parquet_matches_schema"} <= checks
    extracted = graph.get(dg.AssetKey("extracted_records"))
    assert {dg.AssetKey("mapping_rules"), dg.AssetKey("canonical_schemas"), dg.AssetKey("llm_policy"), dg.AssetKey("parsed_documents")} <= set(extracted.parent_keys)
    for name in ("process_batch", "reprocess_document", "release_batch", "observe_inputs"):
        assert d.resolve_job_def(name) is not None
    assert d.resolve_sensor_def("inbox_sensor").default_status == dg.DefaultSensorStatus.STOPPED
    nightly = d.resolve_schedule_def("nightly_batches")
    assert nightly.cron_schedule == "0 2 * * *" and nightly.default_status == dg.DefaultScheduleStatus.STOPPED
    assert graph.get(dg.AssetKey("raw_documents")).partitions_def == dg.DynamicPartitionsDefinition(name="batches")


def test_dg_check_defs():
    dg_bin = Path(sys.executable).parent / "dg"  # the venv's dg beside its python
    exe = str(dg_bin) if dg_bin.exists() else shutil.which("dg")
    assert exe, "dg not installed"
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    out = subprocess.run([exe, "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "All definitions loaded successfully" in out.stdout + out.stderr


def test_stage_library_is_dagster_free():
    code = ("import sys, pipelines.run.stages, pipelines.run.direct; "
            "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_shared')); "
            "assert not leaked, leaked")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
