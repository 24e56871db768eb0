"""Crash safety for `mapper run` in Dagster mode.

`mapper run` executes the job in its own process (no daemon watches it), so when that process
dies (kill -9, power loss) nothing else marks its run failed or gives back the pool slot its
`extracted_records` step held: the next run would wait for that slot for ever. This module:

- tags each run with the process that runs it (host, pid, process start time), so a later run
  can tell a dead run from a slow one;
- reclaims dead runs at start and while waiting: marks them failed and frees their pool slots
  (also slots still held by runs that ended, Dagster's `free_slots_after_run_end_seconds`);
- watches the run: says what it waits for ("waiting for pool llm held by run X"), stops it at
  its deadline (`dagster/max_runtime`, the same tag Dagster's run monitoring enforces for runs
  launched from the UI), and on SIGINT/SIGTERM marks it failed, frees its slots and exits;
- removes the batch's stage hand-off files (full text and PII) when a run ends, whatever the
  outcome, and those of dead runs at the next start.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import psutil
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES, RunsFilter
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from pipelines.run.files import remove, work_dir, work_root

PID_TAG, HOST_TAG, PROC_START_TAG = "mapper/pid", "mapper/host", "mapper/process_started"
DEFAULT_MAX_RUNTIME_S = 6 * 3600
POLL_S = 1.0
Echo = Callable[[str], None]


def max_runtime_seconds(instance: dg.DagsterInstance, setting: float | None = None) -> int:
    """`Settings.run_max_seconds` (MAPPER_RUN_MAX_SECONDS), else the instance's
    `run_monitoring.max_runtime_seconds`, else 6 h."""
    if setting:
        return max(1, int(setting))
    return int(instance.run_monitoring_max_runtime_seconds or 0) or DEFAULT_MAX_RUNTIME_S


def process_tags(max_runtime: int) -> dict[str, str]:
    me = psutil.Process()
    return {PID_TAG: str(me.pid), HOST_TAG: socket.gethostname(), PROC_START_TAG: f"{me.create_time():.2f}",
            MAX_RUNTIME_SECONDS_TAG: str(max_runtime)}


def process_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process a run was tagged with still runs; None when we cannot tell (another
    host, or a run not started by `mapper run`). A reused pid has another start time."""
    if tags.get(HOST_TAG) != socket.gethostname() or PID_TAG not in tags:
        return None
    try:
        proc = psutil.Process(int(tags[PID_TAG]))
        return proc.is_running() and f"{proc.create_time():.2f}" == tags.get(PROC_START_TAG)
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.AccessDenied:
        return True


def reclaim_dead_runs(instance: dg.DagsterInstance, echo: Echo) -> list[str]:
    """Mark runs whose process died as failed and free every slot held by a run that is over."""
    reclaimed = []
    statuses = [*IN_PROGRESS_RUN_STATUSES, dg.DagsterRunStatus.CANCELING]
    for run in instance.get_runs(RunsFilter(statuses=statuses)):
        if process_alive(dict(run.tags)) is False:
            instance.report_run_failed(run, f"the process that ran it (pid {run.tags[PID_TAG]}) is gone; "
                                            "marked failed by the next `mapper run`")
            reclaimed.append(run.run_id)
            echo(f"run {run.run_id} (batch {run.tags.get('dagster/partition', '?')}) died with its process: "
                 "marked failed, its pool slots freed")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
    return reclaimed


def in_progress_batches(instance: dg.DagsterInstance, batch_id: str | None = None) -> set[str]:
    """Batches (partitions) with a run queued, starting, running or canceling."""
    tags = {"dagster/partition": batch_id} if batch_id else None
    runs = instance.get_runs(RunsFilter(statuses=[*IN_PROGRESS_RUN_STATUSES, dg.DagsterRunStatus.CANCELING], tags=tags))
    return {r.tags["dagster/partition"] for r in runs if "dagster/partition" in r.tags}


def remove_work_data(kb_root: str | Path, batch_id: str) -> bool:
    """Delete a batch's stage hand-off files (documents' full text, PII); keep its small JSON
    status files (summary, hold, landed), which hold counts only."""
    wd = work_dir(kb_root, batch_id)
    removed = False
    if wd.is_dir():
        for p in wd.iterdir():
            if p.suffix == ".json" and p.is_file():
                continue
            remove(p)
            removed = True
    return removed


def remove_stale_work(kb_root: str | Path, instance: dg.DagsterInstance, echo: Echo) -> list[str]:
    """Work data of batches with no run in progress: left behind by a run that died."""
    root = work_root(kb_root)
    if not root.is_dir():
        return []
    busy = in_progress_batches(instance)
    stale = []
    for d in sorted(root.iterdir()):
        # asked again just before removing: a run of that batch may have started meanwhile
        if d.is_dir() and d.name not in busy and d.name not in in_progress_batches(instance, d.name) \
                and remove_work_data(kb_root, d.name):
            stale.append(d.name)
    if stale:
        echo(f"removed the work files of {len(stale)} batch(es) left by runs that did not finish: {', '.join(stale)}")
    return stale


def waiting_for(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What the run's steps wait for: pools whose slots other runs hold."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    out = []
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        mine = {s.step_key for s in info.pending_steps if s.run_id == run_id}
        held = {s.step_key for s in info.claimed_slots if s.run_id == run_id}
        if mine - held:
            holders = sorted({s.run_id for s in info.claimed_slots if s.run_id != run_id})
            who = ", ".join(_describe(instance, r) for r in holders) or "other runs"
            out.append(f"waiting for pool {pool} (limit {info.slot_count}) held by run {who}")
    return out


def _describe(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    if run is None:
        return run_id
    where = f", pid {run.tags[PID_TAG]}" if PID_TAG in run.tags else ", not started by `mapper run`: stop it in the UI"
    return f"{run_id} (batch {run.tags.get('dagster/partition', '?')}, {run.status.value}{where})"


@dataclass
class Watch:
    """Runs `execute` in a thread while the main thread reports waits, enforces the deadline and
    handles SIGINT/SIGTERM. On a stop the run is marked failed, its slots freed, its work data
    removed, child processes (parse workers) killed, and the process exits (130/143, 124 deadline)."""

    instance: dg.DagsterInstance
    run_id: str
    kb_root: str | Path  # the KB location: its work files are beside it (run/files.py)
    batch_id: str
    max_runtime: int
    echo: Echo
    on_poll: Callable[[], None] | None = None  # e.g. redraw the progress display
    _signals: list[int] = field(default_factory=list)

    def run(self, execute: Callable[[], Any]) -> Any:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["result"] = execute()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=target, name=f"mapper-run-{self.batch_id}", daemon=True)
        previous = self._install_signals()
        try:
            worker.start()
            self._watch(worker)
        finally:
            self._restore_signals(previous)
            remove_work_data(self.kb_root, self.batch_id)
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _watch(self, worker: threading.Thread) -> None:
        started, said, last_reclaim = time.monotonic(), "", 0.0
        while worker.is_alive():
            worker.join(POLL_S)
            if self.on_poll is not None:
                self.on_poll()
            if self._signals:
                sig = self._signals[0]
                self._stop(f"received {signal.Signals(sig).name}", 128 + sig)
            if time.monotonic() - started > self.max_runtime:
                self._stop(f"the run exceeded its deadline of {self.max_runtime} s (MAPPER_RUN_MAX_SECONDS)", 124)
            waits = "; ".join(waiting_for(self.instance, self.run_id)) if worker.is_alive() else ""
            if waits and waits != said:
                self.echo(waits)
            said = waits or said
            if waits and time.monotonic() - last_reclaim > 10:  # a holder may have died since we started
                reclaim_dead_runs(self.instance, self.echo)
                last_reclaim = time.monotonic()

    def _stop(self, why: str, code: int) -> None:
        self.echo(f"stopping run {self.run_id}: {why}; marking it failed, freeing its pool slots, removing its work files")
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and not run.is_finished:
            self.instance.report_run_failed(run, f"stopped: {why}")
        if self.instance.event_log_storage.supports_global_concurrency_limits:
            self.instance.event_log_storage.free_concurrency_slots_for_run(self.run_id)
        for child in psutil.Process().children(recursive=True):
            try:
                child.kill()
            except psutil.Error:
                pass
        remove_work_data(self.kb_root, self.batch_id)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)  # the worker thread cannot be interrupted; everything it held is released above

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, lambda signo, _frame: self._signals.append(signo))
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
