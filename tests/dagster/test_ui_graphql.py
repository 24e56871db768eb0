"""`mapper run` records a run; `dagster dev` (as the README starts it) serves it over GraphQL with lineage and metadata.

Starts the real UI on a free port against a temporary DAGSTER_HOME, so it is slowish (~15-25 s) but it is the
only test that proves what a person opening the UI sees. It fails, never skips, when the UI does not come up.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main

REPO = Path(__file__).resolve().parents[2]
STARTUP_S = 180  # dagster dev starts webserver, code server and daemon (7 daemons); ~100 s on a loaded 2-core machine
EXPECTED_DEPS = {
    "raw_documents": set(),
    "parsed_documents": {"raw_documents"},
    "extracted_records": {"parsed_documents", "mapping_rules", "canonical_schemas", "llm_policy"},
    "validated_records": {"extracted_records", "canonical_schemas"},
    "knowledge_base": {"validated_records"},
    "review_queue": {"validated_records"},
    "mapping_rules": set(),
    "canonical_schemas": set(),
    "llm_policy": set(),
}

ASSET_NODES = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"
LATEST_KB = """{ assetNodes(assetKeys: [{path: ["knowledge_base"]}]) {
  assetMaterializations(limit: 1) {
    runId partition
    metadataEntries { label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } }
  } } }"""
STALE = '{ assetNodes(assetKeys: [{path: ["extracted_records"]}]) { staleStatus(partition: "ui1") } }'
RUNS = "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, timeout: float = 10) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = json.load(resp)
    assert "errors" not in body, body["errors"]
    return body["data"]


def dagster_exe() -> str:
    exe = Path(sys.executable).parent / "dagster"  # the venv's dagster beside its python
    found = str(exe) if exe.exists() else shutil.which("dagster")
    assert found, "dagster not installed"
    return found


def start_ui(home: Path, port: int, log: Path) -> subprocess.Popen:
    """`DAGSTER_HOME=... dagster dev -m pipelines.definitions` (the README's UI command) from the repository root,
    in its own session with SIGINT restored."""
    env = {**os.environ, "DAGSTER_HOME": str(home), "VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    out = log.open("wb")
    try:
        return subprocess.Popen([dagster_exe(), "dev", "-m", "pipelines.definitions", "--port", str(port), "--host", "127.0.0.1"], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    finally:
        out.close()  # the child holds its own copy


def stop_ui(proc: subprocess.Popen) -> None:
    """SIGINT to the whole process group (webserver, daemon, code server), then SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlive dg itself
    except ProcessLookupError:
        pass
    proc.wait(timeout=5)


def wait_for_assets(proc: subprocess.Popen, port: int, log: Path) -> list[dict]:
    """Poll GraphQL until the code location's asset nodes are served; fail with the server log otherwise."""
    deadline, last = time.monotonic() + STARTUP_S, "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dagster dev exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            nodes = graphql(port, ASSET_NODES, timeout=5)["assetNodes"]
            if nodes:
                return nodes
            last = "no asset nodes yet (code location loading)"
        except (urllib.error.URLError, ConnectionError, TimeoutError, AssertionError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise AssertionError(f"UI did not serve asset nodes within {STARTUP_S}s ({last}):\n"
                         f"{log.read_text(errors='replace')[-4000:]}")


def test_ui_serves_lineage_and_the_cli_run(tmp_path, workspace, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    corpus = workspace["corpus"]
    corpus.mkdir()
    for sample in ("invoices/aquaflow_0142.pdf", "emails/2026-01-21_greenacre_leak-verge.eml", "code/customers.sql"):
        shutil.copy(REPO / "data_samples" / sample, corpus)

    # The workspace fixture points MAPPER_KB/SCHEMAS/MAPPINGS at tmp (and restores them afterwards).
    result = CliRunner().invoke(main, ["run", str(corpus), "--batch-id", "ui1", "--workers", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary, _ = json.JSONDecoder().raw_decode(result.stdout)  # progress lines go to stderr on a slow machine
    assert summary["success"] and summary["reconciles"] and summary["inputs"] == 3, summary
    landed = sum(summary["landed_records"].values())
    assert landed >= 2, summary  # the invoice and the customers at least

    port, log = free_port(), tmp_path / "dg_dev.log"
    proc = start_ui(home, port, log)
    try:
        nodes = wait_for_assets(proc, port, log)
        deps = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes}
        assert set(EXPECTED_DEPS) <= set(deps), sorted(deps)
        assert {k: deps[k] for k in EXPECTED_DEPS} == EXPECTED_DEPS

        [kb_node] = graphql(port, LATEST_KB)["assetNodes"]
        [mat] = kb_node["assetMaterializations"]
        assert (mat["runId"], mat["partition"]) == (summary["run_id"], "ui1")
        meta = {e["label"]: e.get("intValue", e.get("text")) for e in mat["metadataEntries"]}
        assert meta["records_landed"] == landed
        assert meta["documents_in"] == 3
        assert meta["kb_root"] == str(workspace["kb"].resolve())

        # Nothing changed since the run: the UI shows the batch's records as up to date.
        assert graphql(port, STALE)["assetNodes"] == [{"staleStatus": "FRESH"}]

        runs = graphql(port, RUNS)["runsOrError"]["results"]
        assert [(r["runId"], r["jobName"], r["status"]) for r in runs] == [(summary["run_id"], "process_batch", "SUCCESS")]
        assert {"key": "dagster/partition", "value": "ui1"} in runs[0]["tags"]
    finally:
        stop_ui(proc)
