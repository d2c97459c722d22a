"""Base for the loopback fakes of outside HTTP APIs: a threaded server on 127.0.0.1:<free port>.

Each fake records every request (`calls`) so tests can assert on what really went over the
wire, and lets the test wait for a call made from another thread (`wait_for`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    """One request as the fake saw it (params merged from query, form, JSON or multipart)."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    body: bytes = b""


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form-encoded, JSON or multipart bodies -> (params, files)."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json":
        data = json.loads(body or b"{}")
        return (data if isinstance(data, dict) else {"_json": data}), {}
    if ctype == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            if part.get_filename():
                files[str(name)] = payload
            else:
                params[str(name)] = payload.decode("utf-8")
        return params, files
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}
    except UnicodeDecodeError:  # raw bytes (e.g. a file upload) labelled as a form by urllib
        return {}, {}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_sockets: set[Any] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.open_sockets.add(request)  # so `kill()` can cut keep-alive connections too
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (e.g. a long poll cut by shutdown) is normal here, not an error."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Subclasses implement `route(call) -> (status, headers, body_bytes)`."""

    def __init__(self, port: int = 0) -> None:
        """`port`: 0 = a free one; a fixed port brings a stopped fake back at the same URL."""
        self.calls: list[Call] = []
        self._cond = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                params: dict[str, Any] = dict(parse_qsl(parts.query))
                form, files = parse_body(self.headers.get("Content-Type", ""), body)
                params.update(form)
                call = Call(self.command, parts.path, dict(self.headers.items()), params, files, body)
                status, headers, out = fake.route(call)
                with fake._cond:
                    fake.calls.append(call)
                    fake._cond.notify_all()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

        self._server = _QuietServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def kill(self) -> None:
        """Like a crashed service: stop listening AND cut every open (keep-alive) connection."""
        import socket

        self.stop()
        for sock in list(self._server.open_sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def forget_calls(self) -> None:
        """Drop the calls recorded so far (a long run, e.g. bench/soak.py, keeps only a day's)."""
        with self._cond:
            self.calls.clear()

    def calls_to(self, suffix: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.path.endswith(suffix)]

    def wait_for(
        self,
        suffix: str,
        pred: Callable[[Call], bool] = lambda c: True,
        timeout: float = 10.0,
        count: int = 1,
    ) -> list[Call]:
        """Block until `count` calls to a path ending in `suffix` match `pred`; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.path.endswith(suffix) and pred(c)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.path.rsplit("/", 1)[-1] for c in self.calls]
                    raise AssertionError(f"no {count} call(s) to {suffix} within {timeout}s; saw {seen}")
                self._cond.wait(left)


def json_response(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()
