"""A loopback OpenAI-compatible Chat Completions server for tests with the real `openai` client.

openai 3.x runs on httpx2, so patching httpx intercepts nothing: tests start this threaded
server on 127.0.0.1, point `OpenAI(base_url=server.base_url)` at it, script the answers per
test (text, tool calls, 429 + retry-after, 500, 401, a slow answer for timeouts, raw bodies)
and read back every request it received.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Scripted:
    """One scripted HTTP answer; `delay_s` makes it slow (the client should time out first)."""

    status: int = 200
    body: Any = None  # dict/list -> JSON; str -> sent as is (malformed bodies)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def completion(
    content: str | None = None, tool_calls: list[dict[str, Any]] | None = None, model: str = "gpt-4o"
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def text(content: str) -> Scripted:
    return Scripted(body=completion(content))


def tool_call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    """One tool call; `arguments` dict -> JSON text, str -> sent verbatim (to test bad JSON)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def tools(*calls: dict[str, Any], content: str | None = None) -> Scripted:
    return Scripted(body=completion(content, list(calls)))


def error(
    status: int, message: str = "error", *, code: str = "error", retry_after: str | None = None
) -> Scripted:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"error": {"message": message, "type": code, "param": None, "code": code}}
    return Scripted(status=status, body=body, headers=headers)


def slow(delay_s: float, then: Scripted | None = None) -> Scripted:
    base = then or text("too late")
    return Scripted(status=base.status, body=base.body, headers=base.headers, delay_s=delay_s)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeOpenAIServer:
    """`with FakeOpenAIServer() as srv: srv.script(...); OpenAI(base_url=srv.base_url, ...)`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *answers: Scripted) -> None:
        with self._lock:
            self._queue.extend(answers)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self, rec: Recorded) -> Scripted:
        with self._lock:
            self.requests.append(rec)
            if self._queue:
                return self._queue.popleft()
        return error(500, "fake server: no scripted response left", code="server_error")

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                rec = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                if not self.path.endswith("/chat/completions"):
                    return self._send(error(404, f"fake server: unknown path {self.path}"))
                self._send(server._next(rec))

            def _send(self, answer: Scripted) -> None:
                if answer.delay_s and server._stopping.wait(answer.delay_s):
                    return
                payload = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                data = payload.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up — expected for slow answers

        return Handler
