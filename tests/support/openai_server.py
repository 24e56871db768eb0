"""A loopback OpenAI-compatible chat server for tests.

No real LLM is reachable from tests, so this serves scripted answers over real
HTTP on 127.0.0.1: the real `openai` SDK (retries, timeouts, Azure URLs) and
`instructor` (modes, re-asks) run unmodified against it.

    with OpenAIServer([Reply.json({"total": 3}), Reply.status(429)]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")

Routes: POST /v1/chat/completions, POST /openai/deployments/{d}/chat/completions
(Azure, `?api-version=`), GET /v1/models.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

_AZURE_PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")
# instructor's MD_JSON/JSON modes embed the schema in the system prompt between these phrases.
_PROMPT_SCHEMA = re.compile(
    r"following json_schema:\s*(?P<schema>\{.*?\})\s*Make sure to return an instance", re.S
)


@dataclass
class RecordedRequest:
    """One request as the server received it (also the ones answered with faults)."""

    method: str
    path: str                     # without the query string
    query: dict[str, str]
    headers: dict[str, str]       # lower-cased names
    json: dict[str, Any] | None
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages") or [])

    @property
    def user_text(self) -> str:
        """All message contents joined (text parts of multi-part contents included)."""
        parts: list[str] = []
        for m in self.messages:
            content = m.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(parts)

    @property
    def wants_tools(self) -> bool:
        return bool((self.json or {}).get("tools"))

    @property
    def response_format(self) -> dict[str, Any] | None:
        return (self.json or {}).get("response_format")

    @property
    def model(self) -> str | None:
        return (self.json or {}).get("model")

    @property
    def deployment(self) -> str | None:
        m = _AZURE_PATH.match(self.path)
        return m.group("deployment") if m else None

    @property
    def response_model_schema(self) -> dict[str, Any] | None:
        """The JSON schema the client asked for, when it can be recovered."""
        body = self.json or {}
        tools = body.get("tools") or []
        if tools:
            return tools[0].get("function", {}).get("parameters")
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return fmt.get("json_schema", {}).get("schema")
        for m in self.messages:
            content = m.get("content")
            if isinstance(content, str) and (found := _PROMPT_SCHEMA.search(content)):
                try:
                    return json.loads(found.group("schema"))
                except json.JSONDecodeError:
                    return None
        return None


@dataclass(frozen=True)
class Reply:
    """A scripted answer. Build with the class methods, not the constructor."""

    kind: str                     # json | text | status | slow | malformed | drop
    payload: Any = None
    status_code: int = 200
    headers: dict[str, str] | None = None
    seconds: float = 0.0
    then: Reply | None = None
    finish_reason: str | None = None

    @classmethod
    def json(cls, obj: Any, *, finish_reason: str | None = None) -> Reply:
        """The object as a tool call (tools honoured) or a ```json block (tools ignored)."""
        if isinstance(obj, BaseModel):
            obj = obj.model_dump(mode="json")
        return cls("json", obj, finish_reason=finish_reason)

    @classmethod
    def text(cls, s: str, *, finish_reason: str | None = None) -> Reply:
        """Raw message content, whatever the request asked for."""
        return cls("text", s, finish_reason=finish_reason)

    @classmethod
    def status(
        cls, code: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        if headers is None:
            headers = {"Retry-After": "1"}
        return cls("status", body, status_code=code, headers=dict(headers))

    @classmethod
    def slow(cls, seconds: float, then: Reply) -> Reply:
        return cls("slow", seconds=seconds, then=then)

    @classmethod
    def malformed(cls) -> Reply:
        """Not JSON: as message content, or as broken tool-call arguments when tools are honoured."""
        return cls("malformed", 'Sure! Here is the data: {"total": 12.5, "currency": ')

    @classmethod
    def drop(cls) -> Reply:
        """Close the connection without answering."""
        return cls("drop")


Script = Iterable[Reply] | Callable[[RecordedRequest], Reply]


class OpenAIServer:
    """Threaded loopback server; use as a context manager.

    honour_tools: answer `Reply.json` as a tool call when the request carries
    `tools` (like OpenAI); otherwise answer in a ```json block (like many local
    servers that ignore `tools`). honour_response_format (default: same as
    honour_tools): answer bare JSON content when `response_format` is set.
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        honour_tools: bool = False,
        honour_response_format: bool | None = None,
        default: Reply | None = None,
        models: tuple[str, ...] = ("test-model",),
    ) -> None:
        self.honour_tools = honour_tools
        self.honour_response_format = (
            honour_tools if honour_response_format is None else honour_response_format
        )
        self.default = default
        self.models = models
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []   # script problems (e.g. exhausted), surfaced to tests
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._script_fn: Callable[[RecordedRequest], Reply] | None = None
        self._queue: list[Reply] = []
        self.script = script
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- script ---------------------------------------------------------------
    @property
    def script(self) -> Script | None:
        return self._script_fn or list(self._queue)

    @script.setter
    def script(self, script: Script | None) -> None:
        with self._lock:
            if callable(script):
                self._script_fn, self._queue = script, []
            else:
                self._script_fn, self._queue = None, list(script or [])

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def _next_reply(self, req: RecordedRequest) -> Reply:
        if self._script_fn is not None:
            return self._script_fn(req)
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
        if self.default is not None:
            return self.default
        msg = f"script exhausted at request #{len(self.requests)} ({req.path})"
        self.errors.append(msg)
        return Reply.status(500, {"error": {"message": msg, "type": "script_exhausted"}},
                            headers={"x-should-retry": "false"})

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> OpenAIServer:
        handler = type("_Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True   # a slow handler must not block close()
        # A short poll interval keeps close() (and so each test) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        """For `AzureOpenAI(azure_endpoint=...)`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    # -- answers -----------------------------------------------------------------
    def completion_body(self, req: RecordedRequest, reply: Reply) -> dict[str, Any]:
        body = req.json or {}
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = reply.finish_reason
        tool_answer = self.honour_tools and req.wants_tools
        if reply.kind in ("json", "malformed") and tool_answer:
            args = json.dumps(reply.payload) if reply.kind == "json" else reply.payload
            name = body["tools"][0].get("function", {}).get("name", "tool")
            message["tool_calls"] = [{
                "id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                "function": {"name": name, "arguments": args},
            }]
            finish = finish or "tool_calls"
            completion_text = args
        elif reply.kind == "json":
            text = json.dumps(reply.payload, indent=2)
            bare = self.honour_response_format and req.response_format
            message["content"] = text if bare else f"```json\n{text}\n```"
            completion_text = message["content"]
        else:  # text, malformed
            message["content"] = completion_text = str(reply.payload)
        tools = body.get("tools")
        prompt_chars = len(req.user_text) + (len(json.dumps(tools)) if tools else 0)
        prompt_tokens = prompt_chars // 4
        completion_tokens = len(completion_text) // 4
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or req.deployment or "test-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _recorded(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        return RecordedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            json=body,
        )

    def _send_json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        req = self._recorded()
        self.owner._record(req)
        if req.path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in self.owner.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, {"error": {"message": f"no route {req.path}"}})

    def do_POST(self) -> None:
        req = self._recorded()
        self.owner._record(req)
        if req.path != "/v1/chat/completions" and not _AZURE_PATH.match(req.path):
            self._send_json(404, {"error": {"message": f"no route {req.path}"}})
            return
        try:
            self._answer(req, self.owner._next_reply(req))
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up (timeout); nothing to answer

    def _answer(self, req: RecordedRequest, reply: Reply) -> None:
        while reply.kind == "slow":
            if self.owner._closing.wait(reply.seconds):
                self.close_connection = True
                return
            assert reply.then is not None
            reply = reply.then
        if reply.kind == "drop":
            self.close_connection = True
            return
        if reply.kind == "status":
            body = reply.payload
            if body is None:
                body = {"error": {"message": f"scripted HTTP {reply.status_code}",
                                  "type": "test_fault", "code": str(reply.status_code)}}
            self._send_json(reply.status_code, body, reply.headers)
            return
        self._send_json(200, self.owner.completion_body(req, reply))
