"""`mapper run` in Dagster mode after a crash: no silent wait, no hang, nothing left behind.

Real processes: run A stalls in the LLM step holding the `llm` pool slot (limit 1); run B says
it waits for that pool and stops promptly on SIGTERM; A is killed with SIGKILL; run C reclaims
A's run and slot, removes A's work files and finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg

from tests.dagster.conftest import REPO, write_corpus
from tests.support.openai_server import OpenAIServer, RecordedRequest, Reply
from tests.support.shipped import MAPPINGS


def _start(corpus: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", str(corpus), "--workers", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=REPO)


def _until(cond, timeout: float, what: str, procs=()) -> None:
    end = time.monotonic() + timeout
    while not cond():
        ended = [p for p in procs if p.poll() is not None]
        if ended:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
            raise AssertionError(f"a run ended (exit {ended[0].returncode}) before {what}: {ended[0].stderr.read()[-3000:]}")
        if time.monotonic() > end:
            for p in procs:
                os.killpg(p.pid, signal.SIGKILL)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _work_data(kb: Path) -> list[str]:
    """Stage hand-off files (document text) under the KB's work folder; JSON status files excluded."""
    return [str(p) for p in (kb / "_work").rglob("*") if p.is_file() and p.suffix != ".json"]


def test_a_killed_run_frees_its_pool_slot_and_the_next_run_says_what_it_waits_for(tmp_path):
    for name in ("a", "b", "c"):
        write_corpus(tmp_path / name, invoices=0, junk=1)  # unclassifiable notes: the LLM is asked
    home, kb = tmp_path / "home", tmp_path / "kb"
    released = threading.Event()

    def script(req: RecordedRequest) -> Reply:  # calls stall (run A, and its retries) until A is killed
        return Reply.status(400, headers={}) if released.is_set() else Reply.slow(600, Reply.status(500))

    env = dict(os.environ, DAGSTER_HOME=str(home), MAPPER_KB=str(kb), MAPPER_SCHEMAS=str(REPO / "schemas"),
               MAPPER_MAPPINGS=str(MAPPINGS), MAPPER_LLM_POLICY=str(REPO / "llm_policy.yaml"),
               MAPPER_LLM_MODEL="m", MAPPER_LLM_API_KEY="x", MAPPER_DAGSTER_LOG="ERROR")
    with OpenAIServer(script) as server:
        env["MAPPER_LLM_BASE_URL"] = server.base_url
        a = _start(tmp_path / "a", env)
        _until(lambda: server.requests, 240, "run A to call the LLM", [a])
        instance = dg.DagsterInstance.from_config(str(home))
        [run_a] = instance.get_runs()
        assert instance.event_log_storage.get_concurrency_info("llm").claimed_slots[0].run_id == run_a.run_id
        assert _work_data(kb), "run A's parsed documents are on disk while it runs"

        b = _start(tmp_path / "b", env)
        _until(lambda: len(instance.get_runs()) == 2 and any(
            s.run_id != run_a.run_id for s in instance.event_log_storage.get_concurrency_info("llm").pending_steps),
            240, "run B to queue for the pool", [a, b])
        time.sleep(2 * 1.0 + 1)  # the watcher polls every second
        t0 = time.monotonic()
        b.send_signal(signal.SIGTERM)
        _, b_err = b.communicate(timeout=30)
        assert time.monotonic() - t0 < 15 and b.returncode == 128 + signal.SIGTERM
        assert f"waiting for pool llm (limit 1) held by run {run_a.run_id}" in b_err
        run_b = next(r for r in instance.get_runs() if r.run_id != run_a.run_id)
        assert instance.get_run_by_id(run_b.run_id).status == dg.DagsterRunStatus.FAILURE

        os.killpg(a.pid, signal.SIGKILL)
        a.wait()
        released.set()  # from now on the endpoint fails fast, so run C finishes
        assert instance.get_run_by_id(run_a.run_id).status == dg.DagsterRunStatus.STARTED  # nobody told Dagster

        c = _start(tmp_path / "c", env)
        try:
            c_out, c_err = c.communicate(timeout=300)
        finally:
            if c.poll() is None:
                os.killpg(c.pid, signal.SIGKILL)
    assert c.returncode == 0, c_err
    assert f"run {run_a.run_id}" in c_err and "died with its process" in c_err
    assert "counts reconcile: yes" in c_out
    assert instance.get_run_by_id(run_a.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not instance.event_log_storage.get_concurrency_info("llm").claimed_slots
    assert _work_data(kb) == []  # A's files removed at C's start, C's own when it ended


def test_a_run_past_its_deadline_is_stopped_and_marked_failed(tmp_path):
    write_corpus(tmp_path / "a", invoices=0, junk=1)
    home, kb = tmp_path / "home", tmp_path / "kb"
    env = dict(os.environ, DAGSTER_HOME=str(home), MAPPER_KB=str(kb), MAPPER_SCHEMAS=str(REPO / "schemas"),
               MAPPER_MAPPINGS=str(MAPPINGS), MAPPER_LLM_POLICY=str(REPO / "llm_policy.yaml"),
               MAPPER_LLM_MODEL="m", MAPPER_LLM_API_KEY="x", MAPPER_DAGSTER_LOG="ERROR")
    with OpenAIServer(default=Reply.slow(600, Reply.status(500))) as server:
        env["MAPPER_LLM_BASE_URL"] = server.base_url
        env["MAPPER_RUN_MAX_SECONDS"] = "2"  # shorter than the stalled LLM call
        a = _start(tmp_path / "a", env)
        try:
            _, err = a.communicate(timeout=240)
        finally:
            if a.poll() is None:
                os.killpg(a.pid, signal.SIGKILL)
    assert a.returncode == 124, err
    assert "exceeded its deadline of 2 s" in err
    [run] = dg.DagsterInstance.from_config(str(home)).get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE and run.tags["dagster/max_runtime"] == "2"
    assert _work_data(kb) == []


def test_cleanup_sensor_removes_work_files_of_ended_runs_only(tmp_path, mapper):
    from pipelines.run.files import work_dir
    from pipelines.defs.cleanup import work_files_cleanup

    instance = dg.DagsterInstance.ephemeral()
    kb = Path(mapper.kb_root)
    for batch in ("ended", "running"):
        wd = work_dir(kb, batch)
        wd.mkdir(parents=True)
        (wd / "parsed.stream").write_bytes(b"full text")
        (wd / "summary.json").write_text("{}")
    instance.add_run(dg.DagsterRun(job_name="process_batch", run_id="r1", status=dg.DagsterRunStatus.STARTED,
                                   tags={"dagster/partition": "running"}))
    work_files_cleanup(dg.build_sensor_context(instance=instance, resources={"mapper": mapper}))
    assert sorted(p.name for p in work_dir(kb, "ended").iterdir()) == ["summary.json"]
    assert sorted(p.name for p in work_dir(kb, "running").iterdir()) == ["parsed.stream", "summary.json"]
