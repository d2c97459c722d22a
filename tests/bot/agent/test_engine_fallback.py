"""Every LLM failure falls back to the offline engine with a one-line note, fast and key-free."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import openai
import pytest
from loguru import logger

from bot.agent.engine import AgentEngine
from tests.bot.agent.conftest import API_KEY
from tests.fakes import openai_server as fake
from tests.fakes.chat_fakes import FakeDispatcher, FakeEnvelope, FakeOfflineEngine


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m) + repr(m.record["extra"])), level="DEBUG")
    yield lines
    logger.remove(sink)


def _note(reason: str) -> str:
    return f"(LLM unavailable: {reason} — answered offline)"


def test_rate_limit_falls_back_at_once_without_retrying(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    offline: FakeOfflineEngine,
    env: FakeEnvelope,
) -> None:
    # retry-after far beyond the bound below: honouring it (or retrying) could never pass
    server.script(fake.error(429, "Rate limit reached", code="rate_limit_exceeded", retry_after="600"))
    started = time.monotonic()

    reply = make_agent().answer(env, "how are we doing?", dispatcher)

    assert time.monotonic() - started < 60  # a generous bound, far under the 600 s asked
    assert reply.text == "offline answer to: how are we doing?\n" + _note("rate limited")
    assert offline.calls == ["how are we doing?"]
    assert len(server.chat_requests()) == 1


def test_timeout_falls_back(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(fake.slow(600.0))  # an answer that never comes in time (the server's stop wakes it)
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=0.3)
    started = time.monotonic()

    reply = make_agent(client=client).answer(env, "status?", dispatcher)

    assert time.monotonic() - started < 60  # a generous bound: the client gave up, it did not wait
    assert reply.text.endswith(_note("timed out"))
    assert reply.text.startswith("offline answer to: status?")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (fake.error(500, "boom", code="server_error"), "server error"),
        (fake.error(503, "overloaded", code="server_error"), "server error"),
        (
            fake.error(401, f"Incorrect API key provided: {API_KEY}", code="invalid_api_key"),
            "not authorized — check OPENAI_API_KEY",
        ),
        (fake.error(400, "bad tools", code="invalid_request_error"), "request rejected"),
        (
            fake.error(404, "no such model", code="model_not_found"),
            "model or endpoint not found — check OPENAI_MODEL / OPENAI_BASE_URL",
        ),
        (fake.Scripted(body={"id": "x", "object": "chat.completion", "choices": []}), "unexpected response"),
    ],
)
def test_api_errors_fall_back_with_a_note_and_no_key(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
    log_lines: list[str],
    answer: fake.Scripted,
    reason: str,
) -> None:
    server.script(answer)

    reply = make_agent().answer(env, "hello", dispatcher)

    assert reply.text == "offline answer to: hello\n" + _note(reason)
    assert "Traceback" not in reply.text
    assert any("falling back" in line for line in log_lines)
    assert not any(API_KEY in line for line in log_lines)
    assert API_KEY not in reply.text


def test_unreachable_server_falls_back(
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = openai.OpenAI(
        base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, max_retries=0, timeout=0.5
    )

    reply = make_agent(client=client).answer(env, "hi", dispatcher)

    assert reply.text.endswith(_note("cannot connect"))


def test_failure_after_a_tool_ran_reports_it_instead_of_redoing_it(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    offline: FakeOfflineEngine,
    env: FakeEnvelope,
) -> None:
    server.script(fake.tools(fake.tool_call("pause_trading", {}, "p")), fake.error(500, "boom"))

    reply = make_agent().answer(env, "pause please", dispatcher)

    assert dispatcher.commands == ["pause"]
    assert offline.calls == []
    assert reply.text == "[pause] ok\n" + _note("server error")


def test_offline_engine_failure_still_answers(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(fake.error(429, "slow down"))

    reply = make_agent(fallback=FakeOfflineEngine(fail=True)).answer(env, "hi", dispatcher)

    assert reply.kind == "error"
    assert reply.text == "Sorry, I can't answer that right now.\n" + _note("rate limited")


def test_fallback_keeps_an_offline_confirmation_a_confirmation(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    env: FakeEnvelope,
) -> None:
    class ConfirmingOffline:
        def answer(self, env: object, text: str, dispatcher: FakeDispatcher) -> object:
            return dispatcher.execute_command(env, "flatten")

    dispatcher = FakeDispatcher()
    server.script(fake.error(500, "boom"))

    reply = make_agent(fallback=ConfirmingOffline()).answer(env, "get me out", dispatcher)

    assert reply.kind == "confirm" and reply.buttons == ["yes", "no"]
    assert reply.text.endswith(_note("server error"))
    assert dispatcher.executed == []
