"""A user mistake on `zyn chat` is one line and exit 2 — without "if this was an order, check
orders", which belongs only where an order may have gone out (issue 19.9).

The real `zyn` command in an empty directory (nothing may be created either), and the real
`OwnerClient` against a loopback HTTP server that answers as the owner API does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.conversation.envelope import Envelope
from bot.owner.client import OwnerClient, OwnerUnreachable
from core.domain import UserError

CLEAN = ("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_", "TELEGRAM_", "SLACK_", "TWILIO_", "SMS_", "OPENAI_", "WEB_CHAT")


@pytest.mark.parametrize(("args", "needle"), [(["chat", ""], "non-empty"), (["chat", "   "], "non-empty"),
                                              (["chat", "x" * 5000], "4096"),
                                              (["chat", "status", "--user", "u" * 100], "user")],
                         ids=["empty", "blank", "too long", "long user"])
def test_a_chat_mistake_is_exit_2_without_the_order_hint(tmp_path: Path, args: list[str], needle: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    out = subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and needle in out.stderr, out.stderr
    assert "check" not in out.stderr and "order" not in out.stderr
    assert list(tmp_path.iterdir()) == []


class _Owner(BaseHTTPRequestHandler):
    status = 400

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": "the message must be non-empty text of at most 4096 characters"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def owner_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Owner)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # a quick shutdown()
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_owner_refusal_is_a_user_mistake_and_a_server_error_is_not(owner_server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{owner_server.server_address[1]}"
    with pytest.raises(UserError, match="nothing was done"):
        OwnerClient(url, "t").dispatch(Envelope("cli", "owner", "x"))
    _Owner.status = 500
    try:
        with pytest.raises(OwnerUnreachable) as err:
            OwnerClient(url, "t").dispatch(Envelope("cli", "owner", "buy 1 btc"))
        assert not err.value.retry_safe  # an order may have gone out: the CLI adds the hint here
    finally:
        _Owner.status = 400


@pytest.mark.parametrize("args", [["status"], ["chat", "status"]])
def test_an_unreachable_postgresql_is_one_line_exit_2(tmp_path: Path, args: list[str]) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env["DATABASE_URL"] = f"postgresql://zyn:hunter2@127.0.0.1:{port}/zyn"
    out = subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "DATABASE_URL" in out.stderr and "cannot reach PostgreSQL" in out.stderr and "hunter2" not in out.stderr
    assert list(tmp_path.iterdir()) == []
