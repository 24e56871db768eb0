"""LLMClient against the loopback server with the real openai SDK and instructor."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel, field_validator

from pipelines.llm.client import CallResult, Endpoint, LLMClient
from tests.support.openai_server import OpenAIServer, Reply

MSGS = [{"role": "system", "content": "Extract the invoice."},
        {"role": "user", "content": "Invoice INV-7, total 12.50 EUR"}]
GOOD = {"number": "INV-7", "total": 12.5, "currency": "EUR"}


class Invoice(BaseModel):
    number: str
    total: float
    currency: str

    @field_validator("currency")
    @classmethod
    def iso_code(cls, v: str) -> str:
        if len(v) != 3 or not v.isupper():
            raise ValueError("currency must be an ISO 4217 code like EUR")
        return v


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("MAPPER_LLM_API_KEY", "sk-test-123")


def _endpoint(server: OpenAIServer, **kw) -> Endpoint:
    kw.setdefault("timeout_s", 5.0)
    return Endpoint(name="test", base_url=server.base_url, model="test-model", **kw)


def test_md_json_happy_path_against_a_server_that_ignores_tools():
    with OpenAIServer([Reply.json(GOOD)]) as server:
        res = LLMClient(_endpoint(server, mode="md_json", price_in_per_1k=1.0, price_out_per_1k=2.0)) \
            .complete(MSGS, Invoice)
    assert res.error is None and res.ok
    assert res.parsed == Invoice(**GOOD)
    assert (res.mode, res.attempts) == ("md_json", 1)
    req = server.requests[0]
    assert not req.wants_tools
    assert req.response_model_schema["required"] == ["number", "total", "currency"]
    assert req.json["temperature"] == 0.0 and req.json["max_tokens"] == 1024
    assert req.headers["authorization"] == "Bearer sk-test-123"   # from MAPPER_LLM_API_KEY
    assert res.prompt_tokens == len(req.user_text) // 4 and res.completion_tokens > 0
    assert res.estimated_cost(Endpoint("p", None, "m", price_in_per_1k=1.0, price_out_per_1k=2.0)) == \
        pytest.approx(res.prompt_tokens / 1000 + 2 * res.completion_tokens / 1000)
    assert res.latency_ms > 0


def test_tools_happy_path_when_the_server_honours_tools():
    with OpenAIServer([Reply.json(GOOD)], honour_tools=True) as server:
        res = LLMClient(_endpoint(server, mode="tools")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and (res.mode, res.attempts) == ("tools", 1)
    req = server.requests[0]
    assert req.wants_tools and req.json["tool_choice"]["function"]["name"] == "Invoice"
    assert res.raw_output is not None and '"INV-7"' in res.raw_output


def test_auto_mode_falls_back_per_call_and_remembers_md_json_after_two_ignored():
    with OpenAIServer([Reply.json(GOOD)] * 5) as server:   # ignores tools
        client = LLMClient(_endpoint(server))
        assert client.mode == "auto"
        first = client.complete(MSGS, Invoice)
        assert client.mode == "auto"   # one answer without a tool call decides nothing for the run
        second = client.complete(MSGS, Invoice)
        third = client.complete(MSGS, Invoice)
    assert first.parsed == Invoice(**GOOD) and (first.mode, first.attempts) == ("md_json", 2)
    assert (second.mode, second.attempts) == ("md_json", 2)
    assert third.parsed == Invoice(**GOOD) and (third.mode, third.attempts) == ("md_json", 1)
    assert [r.wants_tools for r in server.requests] == [True, False, True, False, False]
    assert "```json codeblock" in server.requests[1].user_text   # instructor's MD_JSON prompt
    assert client.mode == "md_json"


def test_one_answer_without_a_tool_call_does_not_switch_the_run():
    # A tools endpoint whose first answer is plain text: that call falls back, the next ones use tools.
    script = [Reply.text("I cannot use tools for this."), Reply.json(GOOD), Reply.json(GOOD), Reply.json(GOOD)]
    with OpenAIServer(script, honour_tools=True) as server:
        client = LLMClient(_endpoint(server))
        first = client.complete(MSGS, Invoice)
        later = [client.complete(MSGS, Invoice) for _ in range(2)]
    assert first.parsed == Invoice(**GOOD) and first.mode == "md_json"
    assert [(r.mode, r.attempts) for r in later] == [("tools", 1), ("tools", 1)]
    assert client.mode == "tools"


def test_auto_mode_keeps_tools_when_honoured():
    with OpenAIServer([Reply.json(GOOD)] * 2, honour_tools=True) as server:
        client = LLMClient(_endpoint(server))
        results = [client.complete(MSGS, Invoice) for _ in range(2)]
    assert [(r.mode, r.attempts) for r in results] == [("tools", 1), ("tools", 1)]
    assert all(r.wants_tools for r in server.requests)


def test_auto_mode_falls_back_when_tools_are_rejected_with_400():
    script = [Reply.status(400, {"error": {"message": "tools not supported"}}, headers={}), Reply.json(GOOD)]
    with OpenAIServer(script) as server:
        client = LLMClient(_endpoint(server))
        res = client.complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2 and res.mode == "md_json"


def test_auto_mode_re_asks_in_tools_when_the_tool_answer_is_invalid():
    bad = dict(GOOD, currency="euro")
    with OpenAIServer([Reply.json(bad), Reply.json(GOOD)], honour_tools=True) as server:
        client = LLMClient(_endpoint(server))
        res = client.complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and (res.mode, res.attempts) == ("tools", 2)
    assert all(r.wants_tools for r in server.requests) and client.mode == "tools"


def test_auto_mode_stays_undecided_after_a_transport_failure():
    script = [Reply.status(503, headers={}), Reply.json(GOOD), Reply.json(GOOD)]
    with OpenAIServer(script) as server:
        client = LLMClient(_endpoint(server, max_retries=0))
        failed = client.complete(MSGS, Invoice)
        assert failed.error_kind == "server_error" and client.mode == "auto"
        res = client.complete(MSGS, Invoice)   # probes again: tools ignored -> md_json
    assert res.parsed == Invoice(**GOOD) and (res.mode, res.attempts) == ("md_json", 2)
    assert [r.wants_tools for r in server.requests] == [True, True, False]


def test_json_schema_mode_with_a_server_that_honours_response_format():
    with OpenAIServer([Reply.json(GOOD)], honour_tools=True) as server:
        res = LLMClient(_endpoint(server, mode="json_schema")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.mode == "json_schema"
    fmt = server.requests[0].response_format
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Invoice"


def test_429_with_retry_after_then_success():
    script = [Reply.status(429, headers={"Retry-After": "1"}), Reply.json(GOOD)]
    with OpenAIServer(script) as server:
        res = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2
    first, second = server.requests
    assert second.received_at - first.received_at >= 1.0   # Retry-After honoured (lower bound only)
    assert second.headers["x-stainless-retry-count"] == "1"


def test_500_then_success():
    script = [Reply.status(500, headers={"retry-after-ms": "10"}), Reply.json(GOOD)]
    with OpenAIServer(script) as server:
        res = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2


def test_persistent_500_is_a_server_error_after_all_retries():
    with OpenAIServer(default=Reply.status(500, headers={"retry-after-ms": "10"})) as server:
        res = LLMClient(_endpoint(server, mode="md_json", max_retries=2)).complete(MSGS, Invoice)
    assert res.parsed is None and res.error_kind == "server_error"
    assert res.attempts == 3 and len(server.requests) == 3


def test_persistent_429_is_rate_limited():
    with OpenAIServer(default=Reply.status(429, headers={"retry-after-ms": "10"})) as server:
        res = LLMClient(_endpoint(server, mode="md_json", max_retries=1)).complete(MSGS, Invoice)
    assert res.error_kind == "rate_limited" and res.attempts == 2


def test_slow_answer_past_the_timeout_is_a_timeout():
    with OpenAIServer(default=Reply.slow(2, Reply.json(GOOD))) as server:
        t0 = time.monotonic()
        res = LLMClient(_endpoint(server, mode="md_json", timeout_s=0.5, max_retries=0)) \
            .complete(MSGS, Invoice)
    assert res.parsed is None and res.error_kind == "timeout" and res.attempts == 1
    assert time.monotonic() - t0 < 2   # did not wait for the slow answer


def test_timeout_is_a_transport_retry():
    with OpenAIServer([Reply.slow(2, Reply.json(GOOD)), Reply.json(GOOD)]) as server:
        res = LLMClient(_endpoint(server, mode="md_json", timeout_s=0.3, max_retries=1)).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2


def test_retry_after_beyond_the_sdk_cap_is_not_waited_for():
    # The openai SDK refuses to retry when Retry-After exceeds 120 s: report it at once.
    with OpenAIServer(default=Reply.status(429, headers={"Retry-After": "600"})) as server:
        t0 = time.monotonic()
        res = LLMClient(_endpoint(server, mode="md_json", max_retries=3)).complete(MSGS, Invoice)
    assert res.error_kind == "rate_limited" and res.attempts == 1
    assert time.monotonic() - t0 < 2


def test_dropped_connection_is_retried_then_reported():
    with OpenAIServer([Reply.drop(), Reply.json(GOOD)]) as server:
        ok = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert ok.parsed == Invoice(**GOOD) and ok.attempts == 2
    with OpenAIServer(default=Reply.drop()) as server:
        bad = LLMClient(_endpoint(server, mode="md_json", max_retries=0)).complete(MSGS, Invoice)
    assert bad.error_kind == "connection"


def test_malformed_then_valid_is_re_asked_with_the_error():
    with OpenAIServer([Reply.malformed(), Reply.json(GOOD)]) as server:
        res = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2
    reask = server.requests[1]
    assert reask.messages[-2]["role"] == "assistant"
    assert "Correct your JSON ONLY RESPONSE" in reask.messages[-1]["content"]
    assert "Invalid JSON" in reask.messages[-1]["content"]   # pydantic's error text travels back


def test_invalid_value_is_re_asked_with_the_validator_message():
    bad = dict(GOOD, currency="euro")
    with OpenAIServer([Reply.json(bad), Reply.json(GOOD)], honour_tools=True) as server:
        res = LLMClient(_endpoint(server, mode="tools")).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD) and res.attempts == 2
    reask = server.requests[1].messages[-1]
    assert reask["role"] == "tool" and "currency must be an ISO 4217 code" in reask["content"]


def test_malformed_twice_is_invalid_output_and_counts_usage():
    with OpenAIServer([Reply.malformed(), Reply.malformed()]) as server:
        res = LLMClient(_endpoint(server, mode="md_json", reask_retries=1)).complete(MSGS, Invoice)
    assert res.parsed is None and res.error_kind == "invalid_output" and res.attempts == 2
    assert res.prompt_tokens > 0 and res.completion_tokens > 0   # failed calls still cost tokens
    assert res.raw_output.startswith("Sure! Here is the data")
    assert not server.errors


def test_truncated_answer_is_not_re_asked():
    with OpenAIServer([Reply.text('```json\n{"number": "IN', finish_reason="length")]) as server:
        res = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert res.error_kind == "truncated" and res.attempts == 1


def test_azure_endpoint_uses_deployment_url_and_api_version(monkeypatch):
    monkeypatch.setenv("AZ_KEY", "az-secret")
    with OpenAIServer([Reply.json(GOOD)]) as server:
        ep = Endpoint(name="az", base_url=server.root_url, model="extract-dep", api_key_env="AZ_KEY",
                      mode="md_json", azure_api_version="2024-10-21", timeout_s=5)
        res = LLMClient(ep).complete(MSGS, Invoice)
    assert res.parsed == Invoice(**GOOD)
    req = server.requests[0]
    assert req.path == "/openai/deployments/extract-dep/chat/completions"
    assert req.query["api-version"] == "2024-10-21"
    assert req.headers["api-key"] == "az-secret"


def test_missing_api_key_fails_without_sending(monkeypatch):
    monkeypatch.delenv("MAPPER_LLM_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "must-not-be-used")
    with OpenAIServer([Reply.json(GOOD)]) as server:
        res = LLMClient(_endpoint(server)).complete(MSGS, Invoice)
    assert isinstance(res, CallResult) and res.error_kind == "auth" and "MAPPER_LLM_API_KEY" in res.error
    assert res.attempts == 0 and server.requests == []


def test_401_is_an_auth_error_without_retries():
    with OpenAIServer(default=Reply.status(401, headers={})) as server:
        res = LLMClient(_endpoint(server, mode="md_json")).complete(MSGS, Invoice)
    assert res.error_kind == "auth" and res.attempts == 1


def test_endpoint_rejects_unknown_mode():
    with pytest.raises(ValueError, match="unknown mode"):
        Endpoint(name="x", base_url=None, model="m", mode="yaml")
