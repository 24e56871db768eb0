"""`mapper run` through Dagster with an endpoint configured by environment, as the README says."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.land.query import run_query
from tests.llm.test_extractor import GOOD, LABELLED, answering
from tests.support.openai_server import OpenAIServer
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]


def test_mapper_run_with_endpoint_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "kestrel.txt").write_text(LABELLED, encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("MAPPER_LLM_POLICY", str(REPO / "llm_policy.yaml"))
    monkeypatch.setenv("MAPPER_LLM_API_KEY", "sk-test")
    kb = tmp_path / "kb"
    args = ["run", str(corpus), "--kb", str(kb), "--workers", "0",
            "--schemas", str(REPO / "schemas"), "--mappings", str(MAPPINGS)]
    with OpenAIServer(answering(GOOD)) as server:  # ignores tools: `mode: auto` falls back to markdown JSON
        monkeypatch.setenv("MAPPER_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("MAPPER_LLM_MODEL", "local-model")
        first = CliRunner().invoke(main, args + ["--batch-id", "b1"])
        again = CliRunner().invoke(main, args + ["--batch-id", "b2"])
    assert first.exit_code == 0, first.output
    # the issuer's address is below the calibrated landing threshold and the total's finder family was
    # never measured: the LLM's answers confirm both
    assert "LLM: 1 call(s), 0 cached" in first.output and "2 field(s) filled with evidence" in first.output
    assert "LLM: 0 call(s), 1 cached" in again.output
    assert "1 landed" in first.output or "= 1 landed" in first.output
    requests = server.chat_requests()
    assert all(r.model == "local-model" for r in requests)
    assert requests[0].headers["authorization"] == "Bearer sk-test"
    audit = run_query(kb, "SELECT batch_id, outcome, cache_hit FROM llm_calls ORDER BY called_at").to_dict("records")
    assert [(a["batch_id"], a["outcome"]) for a in audit] == [("b1", "ok"), ("b2", "cached")]
    row = run_query(kb, "SELECT invoice_number FROM invoice").to_dict("records")
    assert row == [{"invoice_number": "KF/2026/0412"}]
