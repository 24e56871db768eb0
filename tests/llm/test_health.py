"""A hung or failing endpoint does not hold the batch: the circuit breaker stops calling it after
three failed calls in a row (retries only inside the first), the run's deadline caps every request
and stops new ones, and the documents go to review as `llm_unavailable`. Real pipeline, real
HTTP to the loopback server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines.llm.policy import Budget, EndpointSpec, Policy
from pipelines.run.direct import run
from tests.llm.test_extractor import INVOICE, _kb_rows, _mapper, _settings, _write
from tests.support.openai_server import OpenAIServer, Reply


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_LLM_API_KEY", "sk-test")


def _policy(server: OpenAIServer, *, timeout_s: float, max_retries: int = 3, seconds: float | None = 1800) -> Policy:
    spec = EndpointSpec(base_url=server.base_url, model="test-model", mode="md_json", timeout_s=timeout_s,
                        max_retries=max_retries)
    return Policy(endpoints={"default": spec}, budget=Budget(max_seconds_per_run=seconds))


def _docs(tmp: Path, n: int) -> list[Path]:
    return [_write(tmp, f"k{i}.txt", INVOICE.replace("0412", f"04{i:02d}")) for i in range(n)]


def test_hung_endpoint_opens_the_breaker_and_the_rest_go_to_review(tmp_path: Path) -> None:
    paths = _docs(tmp_path, 6)
    t0 = time.monotonic()
    with OpenAIServer(default=Reply.slow(3, Reply.json({}))) as server:
        summary = run(paths, _settings(tmp_path), mapper=_mapper(_policy(server, timeout_s=0.3)))
        sent = len(server.chat_requests())
    took = time.monotonic() - t0
    # first call: 1 + 3 transport retries; the next two: no retries; then the breaker is open
    assert sent == 6, sent
    assert summary.reconciles and summary.outcomes["review"] == 6
    assert summary.review_reasons["llm_failed"] == 3 and summary.review_reasons["llm_unavailable"] == 3
    assert summary.llm["unavailable"] == 3 and summary.llm["failed"] == 3
    assert took < 60, took  # before: 6 documents x 4 attempts, each waiting the whole timeout
    audit = _kb_rows(tmp_path, "SELECT outcome, attempts, error FROM llm_calls ORDER BY called_at")
    assert [a["outcome"] for a in audit] == ["failed"] * 3 + ["unavailable"] * 3
    assert [a["attempts"] for a in audit[:3]] == [4, 1, 1]
    assert "no more calls" in audit[-1]["error"]


def test_a_working_answer_closes_the_count(tmp_path: Path) -> None:
    paths = _docs(tmp_path, 4)
    script = [Reply.status(503, headers={}), Reply.status(503, headers={}), Reply.json({}), Reply.json({}),
              Reply.json({})]
    with OpenAIServer(script) as server:
        summary = run(paths, _settings(tmp_path), mapper=_mapper(_policy(server, timeout_s=2, max_retries=0)))
    assert summary.llm["failed"] == 2 and summary.llm["unavailable"] == 0 and summary.llm["calls"] == 4


def test_past_the_run_deadline_nothing_is_sent(tmp_path: Path) -> None:
    paths = _docs(tmp_path, 2)
    with OpenAIServer(default=Reply.json({})) as server:
        summary = run(paths, _settings(tmp_path), mapper=_mapper(_policy(server, timeout_s=2, seconds=1e-6)))
    assert server.chat_requests() == []
    assert summary.review_reasons["llm_unavailable"] == 2
    reasons = _kb_rows(tmp_path, "SELECT reasons FROM review")[0]["reasons"]
    assert any(r["code"] == "llm_unavailable" and "deadline" in r["message"] for r in reasons)


def test_the_deadline_caps_a_request_in_flight(tmp_path: Path) -> None:
    paths = _docs(tmp_path, 1)
    t0 = time.monotonic()
    # The run's deadline leaves room to parse and map the document on a loaded machine before the
    # request goes out (at 1.5 s it sometimes passed first, and nothing was sent).
    with OpenAIServer(default=Reply.slow(40, Reply.json({}))) as server:
        summary = run(paths, _settings(tmp_path),
                      mapper=_mapper(_policy(server, timeout_s=60, max_retries=0, seconds=6)))
    assert time.monotonic() - t0 < 30  # the request was cut at the deadline, not after 40 or 60 s
    assert len(server.chat_requests()) == 1 and summary.llm["failed"] == 1
