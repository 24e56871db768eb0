"""One structured-output call to an OpenAI-compatible endpoint.

`LLMClient.complete(messages, response_model)` returns a `CallResult` and never
raises for transport, HTTP or output problems: the caller (extractor, policy)
decides what a failed call means for a record.

Layering, so each kind of retry is done once and by the component that knows it:
- transport retries (429, 5xx, timeouts, dropped connections): the openai SDK's
  own loop (`max_retries`), which honours `Retry-After` / `retry-after-ms`
  (openai/_base_client.py `_calculate_retry_timeout`, values in (0, 120] s;
  anything else falls back to exponential backoff from 0.5 s);
- re-asks on output that does not parse/validate: instructor, which appends the
  validation error to the conversation (`reask_retries`).
Every HTTP request is counted with an httpx event hook, so `attempts` is the
number of requests actually sent.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import instructor
import openai
from instructor.core import (
    IncompleteOutputException,
    InstructorError,
    InstructorRetryException,
    ResponseParsingError,
)
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from pipelines.llm.endpoint import MODE_NAMES, CallResult, Endpoint
from pipelines.llm.health import EndpointHealth

MODES: dict[str, instructor.Mode] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
assert tuple(MODES) == MODE_NAMES
__all__ = ["CallResult", "Endpoint", "LLMClient", "MODES"]  # CallResult, Endpoint: pipelines.llm.endpoint
_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)
IGNORED_TO_SWITCH = 2  # auto mode: calls in a row whose answer ignored tools before md_json is the default


class _Failure(Exception):
    """Internal: one instructor call failed; carries what the result needs."""

    def __init__(self, kind: str, message: str, completion: Any) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.completion = kind, completion


class LLMClient:
    def __init__(self, endpoint: Endpoint, *, deadline: float | None = None) -> None:
        """`deadline`: a time.monotonic() value after which this client sends nothing (the run's)."""
        self.endpoint = endpoint
        self._local = threading.local()   # per-thread request counter (hooks run in the caller's thread)
        # auto: "tools" once the endpoint answered with a tool call; "md_json" once it ignored tools
        # on IGNORED_TO_SWITCH calls in a row and never honoured them. Until then each call decides.
        self._resolved_mode: str | None = None if endpoint.mode == "auto" else endpoint.mode
        self._ignored = 0
        self._key_error: str | None = None
        self.health = EndpointHealth(max(1, endpoint.breaker_failures), deadline)
        self._openai = self._make_openai()
        self._instructors: dict[tuple[str, bool], Any] = {}

    @property
    def mode(self) -> str:
        """The mode calls will use now ("auto" until the probe has decided)."""
        return self._resolved_mode or "auto"

    def _api_key(self) -> str:
        env = self.endpoint.api_key_env
        if not env:
            return "no-key"   # local servers ignore it; the SDK insists on some value
        key = os.environ.get(env)
        if not key:
            # Never fall back to OPENAI_API_KEY or files: the endpoint config names its key.
            self._key_error = f"auth: environment variable {env} is not set"
            return "missing"
        return key

    def _count_request(self, request: httpx2.Request) -> None:
        self._local.requests = getattr(self._local, "requests", 0) + 1

    def _make_openai(self) -> openai.OpenAI:
        ep = self.endpoint
        http = httpx2.Client(timeout=ep.timeout_s, event_hooks={"request": [self._count_request]})
        common: dict[str, Any] = dict(api_key=self._api_key(), timeout=ep.timeout_s,
                                      max_retries=ep.max_retries, http_client=http)
        if ep.azure_api_version:
            return openai.AzureOpenAI(azure_endpoint=ep.base_url, azure_deployment=ep.model,
                                      api_version=ep.azure_api_version, **common)
        return openai.OpenAI(base_url=ep.base_url, **common)

    def _instructor(self, mode: str) -> Any:
        degraded = self.health.degraded   # after a transport failure: no SDK retries inside a call
        key = (mode, degraded)
        if key not in self._instructors:
            base = self._openai.with_options(max_retries=0) if degraded else self._openai
            self._instructors[key] = instructor.from_openai(base, mode=MODES[mode])
        return self._instructors[key]

    def close(self) -> None:
        self._openai.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the call -------------------------------------------------------------------
    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]) -> CallResult:
        start = time.perf_counter()
        self._local.requests = 0
        usage = _Usage()
        mode = self._resolved_mode or "tools"
        if self._key_error:
            return CallResult(None, 0, 0, 0.0, mode, 0, self._key_error)
        refusal = self.health.refusal()
        if refusal:
            return CallResult(None, 0, 0, 0.0, mode, 0, f"unavailable: {refusal}")
        try:
            if self.endpoint.mode == "auto" and self._resolved_mode != "md_json":
                parsed, completion, mode = self._auto(messages, response_model, usage)
            else:
                parsed, completion = self._call(mode, messages, response_model, usage)
        except _Failure as f:
            self.health.record(f.kind)
            return CallResult(None, usage.prompt, usage.completion, _ms(start), self._resolved_mode or mode,
                              self._local.requests, str(f), _raw_output(f.completion))
        self.health.record(None)
        return CallResult(parsed, usage.prompt, usage.completion, _ms(start), mode,
                          self._local.requests, None, _raw_output(completion))

    def _auto(self, messages: list[dict[str, str]], response_model: type[BaseModel],
              usage: _Usage) -> tuple[BaseModel, Any, str]:
        """Try TOOLS; when this answer ignores or rejects tools, MD_JSON for this call. One odd
        answer does not decide the run: md_json is remembered only after IGNORED_TO_SWITCH calls
        in a row ignored tools on an endpoint that never honoured them."""
        try:
            result = self._call("tools", messages, response_model, usage, probe=True)
        except _Failure as f:
            if f.kind in ("tools_ignored", "bad_request"):
                # A 400 may be about tools or about something else (prompt too long): md_json decides.
                parsed, completion = self._call("md_json", messages, response_model, usage)
                self._ignored += 1
                if self._ignored >= IGNORED_TO_SWITCH:
                    self._resolved_mode = "md_json"
                return parsed, completion, "md_json"
            if _has_tool_calls(f.completion):
                self._resolved_mode = "tools"   # it answered with tools, only the content was wrong
            raise
        self._resolved_mode = "tools"
        return (*result, "tools")

    def _timeout(self) -> dict[str, float]:
        """No request may outlast the run's deadline."""
        remaining = self.health.remaining()
        return {} if remaining is None else {"timeout": max(0.5, min(self.endpoint.timeout_s, remaining))}

    def _call(self, mode: str, messages: list[dict[str, str]], response_model: type[BaseModel],
              usage: _Usage, *, probe: bool = False) -> tuple[BaseModel, Any]:
        ep = self.endpoint

        def should_reask(exc: BaseException) -> bool:
            # While probing, an answer without tool calls means "tools ignored": do not re-ask.
            return isinstance(exc, _PARSE_ERRORS) and not (probe and _no_tool_call(exc))

        retrying = Retrying(stop=stop_after_attempt(max(ep.reask_retries, 0) + 1),
                            retry=retry_if_exception(should_reask), reraise=True)
        try:
            parsed, completion = self._instructor(mode).create_with_completion(
                model=ep.model,
                messages=[dict(m) for m in messages],   # instructor appends re-ask turns
                response_model=response_model,
                max_retries=retrying,
                temperature=ep.temperature,
                max_tokens=ep.max_output_tokens,
                **self._timeout(),
            )
        except InstructorRetryException as e:
            usage.add(e.total_usage)
            kind, message = _classify(e, probe=probe)
            raise _Failure(kind, message, e.last_completion) from e
        except IncompleteOutputException as e:
            usage.add(getattr(e.last_completion, "usage", None))
            raise _Failure("truncated", f"answer cut at max_output_tokens={ep.max_output_tokens}",
                           e.last_completion) from e
        except (openai.OpenAIError, InstructorError) as e:   # raised outside instructor's retry loop
            kind, message = _classify(e, probe=probe)
            raise _Failure(kind, message, None) from e
        usage.add(getattr(parsed, "_total_usage", None) or getattr(completion, "usage", None))
        return _plain(parsed, response_model), completion


class _Usage:
    def __init__(self) -> None:
        self.prompt = 0
        self.completion = 0

    def add(self, u: Any) -> None:
        if u is not None:
            self.prompt += int(getattr(u, "prompt_tokens", 0) or 0)
            self.completion += int(getattr(u, "completion_tokens", 0) or 0)


def _plain(parsed: BaseModel, response_model: type[BaseModel]) -> BaseModel:
    """An instance of the caller's own class.

    instructor returns an instance of a subclass it builds on the fly, with the raw
    completion and usage in its __dict__: it does not compare equal to the caller's
    model, cannot be pickled (cache) and drags the HTTP response around.
    """
    if type(parsed) is response_model:
        return parsed
    values = {name: getattr(parsed, name) for name in type(parsed).model_fields}
    return response_model.model_construct(
        _fields_set=set(parsed.model_fields_set), **values, **(parsed.__pydantic_extra__ or {}))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _root_cause(e: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(e) not in seen:
        seen.add(id(e))
        nxt = e.__cause__ or (e.__context__ if not e.__suppress_context__ else None)
        if nxt is None:
            break
        if isinstance(nxt, (openai.OpenAIError, *_PARSE_ERRORS, IncompleteOutputException)):
            return nxt
        e = nxt
    return e


def _no_tool_call(exc: BaseException) -> bool:
    return isinstance(exc, ResponseParsingError) and "No tool calls" in str(exc)


def _classify(e: BaseException, *, probe: bool = False) -> tuple[str, str]:
    cause = _root_cause(e) if isinstance(e, InstructorRetryException) else e
    msg = str(cause) or type(cause).__name__
    if probe and _no_tool_call(cause):
        return "tools_ignored", msg
    if isinstance(cause, openai.APITimeoutError):
        return "timeout", msg
    if isinstance(cause, openai.APIConnectionError):
        return "connection", msg
    if isinstance(cause, openai.RateLimitError):
        return "rate_limited", msg
    if isinstance(cause, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return "auth", msg
    if isinstance(cause, openai.InternalServerError):
        return "server_error", msg
    if isinstance(cause, openai.BadRequestError):
        return "bad_request", msg
    if isinstance(cause, openai.NotFoundError):
        return "not_found", msg
    if isinstance(cause, openai.APIStatusError):
        return f"http_{cause.status_code}", msg
    if isinstance(cause, IncompleteOutputException):
        return "truncated", msg
    if isinstance(cause, (*_PARSE_ERRORS, AssertionError)):   # AssertionError: model refusal
        return "invalid_output", msg
    if isinstance(cause, (openai.OpenAIError, InstructorError)):
        return "error", msg
    raise e   # not a transport/HTTP/output problem: a bug worth seeing


def _message(completion: Any) -> Any:
    choices = getattr(completion, "choices", None)
    return choices[0].message if choices else None


def _has_tool_calls(completion: Any) -> bool:
    msg = _message(completion)
    return bool(msg is not None and getattr(msg, "tool_calls", None))


def _raw_output(completion: Any) -> str | None:
    msg = _message(completion)
    if msg is None:
        return None
    if getattr(msg, "tool_calls", None):
        return msg.tool_calls[0].function.arguments
    return msg.content
