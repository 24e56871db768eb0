"""Runs a batch through the Dagster code location, the same asset graph the UI runs.

The CLI's `mapper run` goes through here so that every run is recorded in the Dagster
instance (DAGSTER_HOME, default `.dagster_home/` beside the project, created on first use
with the repository's `dagster.yaml`) and shows up in the UI with its lineage and checks.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

from pipelines.config import Settings
from pipelines.run.batch import new_batch_id, register_batch
from pipelines.run.files import read_json, work_dir
from pipelines.run.hold import LANDED_FILE, batch_summary, hold_status, scope
from pipelines.run.outcome import Summary
from pipelines.run.progress import Progress, read_progress, reset_progress

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else `.dagster_home/` beside the project."""
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()


def ensure_dagster_home() -> Path:
    """The instance folder, created on first use with the repository's instance config."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and (PROJECT_ROOT / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", config)
    return home


def run_batch(paths: list[str], settings: Settings, batch_id: str | None = None,
              progress: Progress | None = None) -> Summary:
    """Register PATHS as a batch partition and materialise the whole asset graph for it
    (`progress`: shows the stages' counts, read from the batch's progress file)."""
    home = ensure_dagster_home()
    import dagster as dg

    from pipelines.definitions import defs

    from pipelines import run_guard

    batch_id = batch_id or new_batch_id()
    instance = dg.DagsterInstance.from_config(str(home))
    # What a crashed earlier run left behind: its run still STARTED, its pool slot, its work files.
    run_guard.reclaim_dead_runs(instance, _say)
    run_guard.remove_stale_work(settings.kb_root, instance, _say)
    # The code location gets this run's settings as the `mapper` resource's config (not the environment).
    run_config = {"loggers": {"console": {"config": {"log_level": settings.dagster_log}}},
                  "resources": {"mapper": {"config": settings.for_dagster()}}}
    files = register_batch(settings.kb_root, batch_id, [str(Path(p).resolve()) for p in paths],
                           follow_links=settings.follow_links)
    progress = progress or Progress(len(files), enabled=False)
    progress.total = len(files)
    work = work_dir(settings.kb_root, batch_id)
    reset_progress(work)
    instance.add_dynamic_partitions("batches", [batch_id])
    job = defs().resolve_job_def("process_batch")
    run_id, max_runtime = str(uuid.uuid4()), run_guard.max_runtime_seconds(instance, settings.run_max_seconds)
    watch = run_guard.Watch(instance, run_id, settings.kb_root, batch_id, max_runtime, _say,
                            on_poll=lambda: progress.set(read_progress(work)))
    result = watch.run(lambda: job.execute_in_process(
        instance=instance, partition_key=batch_id, raise_on_error=False, run_config=run_config, run_id=run_id,
        tags=run_guard.process_tags(max_runtime)))
    progress.set(read_progress(work))
    progress.close()
    # The judge stage counted the outcomes; they are the batch's, landed or not (held, failed).
    judged = batch_summary(settings.kb_root, batch_id)
    out = Summary.from_dict(judged) if judged else Summary(batch_id, landed=False)
    out.kb_root, out.run_id, out.success = str(settings.kb_root), result.run_id, result.success
    out.held = hold_status(settings.kb_root, batch_id)
    out.landed = read_json(work_dir(settings.kb_root, batch_id) / LANDED_FILE[scope(settings.kb_root, batch_id)]) is not None
    return out


def _say(message: str) -> None:
    """Progress and waits go to stderr: stdout may be `--json`."""
    print(message, file=sys.stderr, flush=True)
