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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import stages
from pipelines.config import Settings
from pipelines.land.query import run_query
from pipelines.pipeline import new_batch_id
from pipelines.storage import location, state_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def ensure_dagster_home() -> Path:
    """Use DAGSTER_HOME if set, else `.dagster_home/` with the repository's instance config."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and (PROJECT_ROOT / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@dataclass
class BatchResult:
    """What `mapper run` prints: the catalog's view of one batch, after Dagster landed it."""

    batch_id: str
    success: bool
    kb_root: str
    run_id: str = ""
    inputs: int = 0
    attachments: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    attachment_outcomes: Counter[str] = field(default_factory=Counter)
    landed_records: Counter[str] = field(default_factory=Counter)
    review_records: Counter[str] = field(default_factory=Counter)
    review_reasons: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    held: dict[str, Any] = field(default_factory=dict)
    llm: dict[str, Any] | None = None
    llm_off_fields: int = 0
    kept_decisions: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return sum(self.outcomes.values()) == self.inputs and sum(self.attachment_outcomes.values()) == self.attachments

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()} | {"reconciles": self.reconciles}


def run_batch(paths: list[str], settings: Settings, batch_id: str | None = None) -> BatchResult:
    """Register PATHS as a batch partition and materialise the whole asset graph for it."""
    ensure_dagster_home()
    # The code location reads its settings from the environment, as it does under `dagster dev`.
    os.environ["MAPPER_KB"] = location(settings.kb_root)
    os.environ["MAPPER_SCHEMAS"] = str(Path(settings.schemas_dir).resolve())
    os.environ["MAPPER_MAPPINGS"] = str(Path(settings.mappings_dir).resolve())
    os.environ["MAPPER_WORKERS"] = str(settings.workers)
    import dagster as dg

    from pipelines.definitions import defs

    from pipelines import run_guard

    batch_id = batch_id or new_batch_id()
    instance = dg.DagsterInstance.get()
    # What a crashed earlier run left behind: its run still STARTED, its pool slot, its work files.
    run_guard.reclaim_dead_runs(instance, _say)
    run_guard.remove_stale_work(settings.kb_root, instance, _say)
    quiet = {"loggers": {"console": {"config": {"log_level": os.environ.get("MAPPER_DAGSTER_LOG", "WARNING")}}}}
    stages.register_batch(settings.kb_root, batch_id, [str(Path(p).resolve()) for p in paths],
                          follow_links=settings.follow_links)
    instance.add_dynamic_partitions("batches", [batch_id])
    job = defs().resolve_job_def("process_batch")
    run_id, max_runtime = str(uuid.uuid4()), run_guard.max_runtime_seconds(instance)
    watch = run_guard.Watch(instance, run_id, state_dir(settings.kb_root), batch_id, max_runtime, _say)
    result = watch.run(lambda: job.execute_in_process(
        instance=instance, partition_key=batch_id, raise_on_error=False, run_config=quiet, run_id=run_id,
        tags=run_guard.process_tags(max_runtime)))
    out = BatchResult(batch_id, result.success, str(settings.kb_root), result.run_id)
    out.held = stages.hold_status(settings.kb_root, batch_id)
    judged = stages.batch_summary(settings.kb_root, batch_id)
    out.llm, out.llm_off_fields = judged.get("llm"), judged.get("llm_off_fields", 0)
    out.kept_decisions = judged.get("kept_decisions") or {}
    _fill_from_catalog(out, settings.kb_root)
    return out


def _say(message: str) -> None:
    """Progress and waits go to stderr: stdout may be `--json`."""
    print(message, file=sys.stderr, flush=True)


def _fill_from_catalog(out: BatchResult, kb_root: Path) -> None:
    docs = run_query(kb_root, f"SELECT parent_id, outcome, reason_code FROM documents WHERE batch_id = '{out.batch_id}'")
    for parent, outcome, code in docs.itertuples(index=False):
        top = parent is None or parent != parent  # NaN for missing
        if top:
            out.inputs += 1
            out.outcomes[outcome] += 1
        else:
            out.attachments += 1
            out.attachment_outcomes[outcome] += 1
        if outcome == "quarantined" and code:
            out.quarantine_reasons[code] += 1
    for name in _record_tables(kb_root):
        n = run_query(kb_root, f"SELECT count(*) AS n FROM {name} WHERE batch_id = '{out.batch_id}'").n[0]
        if n:
            out.landed_records[name] = int(n)
    review = run_query(kb_root, f"SELECT schema, reasons FROM review WHERE batch_id = '{out.batch_id}' "
                                "AND status NOT IN ('accepted', 'corrected')")  # those landed
    for schema, reasons in review.itertuples(index=False):
        out.review_records[schema] += 1
        for r in reasons if reasons is not None else []:
            out.review_reasons[r["code"]] += 1


def _record_tables(kb_root: Path) -> list[str]:
    from pipelines.land.kb import KnowledgeBase

    return KnowledgeBase(kb_root).schemas()
