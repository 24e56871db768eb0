"""The loopback server speaks enough OpenAI for the real SDK, faults included."""

from __future__ import annotations

import json
import time

import httpx2
import openai
import pytest

from tests.support.openai_server import OpenAIServer, RecordedRequest, Reply

MSGS = [{"role": "user", "content": "Invoice total 12.50 EUR"}]


def _sdk(server: OpenAIServer, **kw) -> openai.OpenAI:
    kw.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=server.base_url, api_key="test", **kw)


def test_json_reply_is_a_fenced_block_when_tools_are_ignored():
    with OpenAIServer([Reply.json({"total": 12.5})]) as server:
        out = _sdk(server).chat.completions.create(
            model="m", messages=MSGS,
            tools=[{"type": "function", "function": {"name": "Invoice", "parameters": {"type": "object"}}}])
    msg = out.choices[0].message
    assert msg.tool_calls is None
    assert msg.content.startswith("```json\n") and msg.content.endswith("\n```")
    assert json.loads(msg.content[len("```json"):-3]) == {"total": 12.5}
    req = server.requests[0]
    assert req.path == "/v1/chat/completions" and req.wants_tools
    assert req.user_text == "Invoice total 12.50 EUR"
    assert req.response_model_schema == {"type": "object"}
    # usage is chars/4 of what was sent and answered
    assert out.usage.completion_tokens == len(msg.content) // 4
    assert out.usage.prompt_tokens > 0


def test_json_reply_is_a_tool_call_when_tools_are_honoured():
    tools = [{"type": "function", "function": {"name": "Invoice", "parameters": {"type": "object"}}}]
    with OpenAIServer([Reply.json({"total": 1}), Reply.json({"total": 2})], honour_tools=True) as server:
        sdk = _sdk(server)
        with_tools = sdk.chat.completions.create(model="m", messages=MSGS, tools=tools)
        without = sdk.chat.completions.create(model="m", messages=MSGS)
    call = with_tools.choices[0].message.tool_calls[0]
    assert call.function.name == "Invoice" and json.loads(call.function.arguments) == {"total": 1}
    assert with_tools.choices[0].finish_reason == "tool_calls"
    assert without.choices[0].message.content.startswith("```json")   # no tools asked, none given


def test_callable_script_sees_the_request_and_models_route():
    def script(req: RecordedRequest) -> Reply:
        return Reply.text(f"you said: {req.messages[-1]['content']}")

    with OpenAIServer(script) as server:
        sdk = _sdk(server)
        out = sdk.chat.completions.create(model="m", messages=MSGS)
        models = sdk.models.list()
    assert out.choices[0].message.content == "you said: Invoice total 12.50 EUR"
    assert [m.id for m in models.data] == ["test-model"]
    assert [r.method for r in server.requests] == ["POST", "GET"]


def test_faults_are_recorded_and_surface_as_sdk_errors():
    script = [Reply.status(503, headers={}), Reply.malformed(), Reply.drop()]
    with OpenAIServer(script) as server:
        sdk = _sdk(server)
        with pytest.raises(openai.InternalServerError):
            sdk.chat.completions.create(model="m", messages=MSGS)
        bad = sdk.chat.completions.create(model="m", messages=MSGS)
        with pytest.raises(openai.APIConnectionError):
            sdk.chat.completions.create(model="m", messages=MSGS)
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.choices[0].message.content)
    assert len(server.requests) == 3


def test_slow_reply_times_out_in_the_client_and_close_does_not_wait():
    with OpenAIServer([Reply.slow(5, Reply.json({}))]) as server:
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            _sdk(server, timeout=0.3).chat.completions.create(model="m", messages=MSGS)
    assert time.monotonic() - t0 < 3   # the 5 s sleep was cut short by close()
    assert len(server.requests) == 1


def test_exhausted_script_is_reported_not_hung():
    with OpenAIServer([]) as server:
        with pytest.raises(openai.InternalServerError):
            _sdk(server, max_retries=2).chat.completions.create(model="m", messages=MSGS)
    assert server.errors and "exhausted" in server.errors[0]
    assert len(server.requests) == 1   # x-should-retry: false stops the SDK retrying


def test_azure_route_records_deployment_and_api_version():
    with OpenAIServer([Reply.json({"ok": True})]) as server:
        az = openai.AzureOpenAI(azure_endpoint=server.root_url, azure_deployment="gpt-dep",
                                api_key="az-key", api_version="2024-10-21", max_retries=0)
        out = az.chat.completions.create(model="gpt-dep", messages=MSGS)
    assert "```json" in out.choices[0].message.content
    req = server.requests[0]
    assert req.path == "/openai/deployments/gpt-dep/chat/completions"
    assert req.deployment == "gpt-dep" and req.query == {"api-version": "2024-10-21"}
    assert req.headers["api-key"] == "az-key"


def test_unknown_route_is_404():
    with OpenAIServer([]) as server:
        r = httpx2.post(server.root_url + "/v2/other", json={})
    assert r.status_code == 404
