"""The agent's tool loop against the fake server, with the real openai client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.agent.engine import NO_ORDER_NOTE, AgentEngine
from tests.fakes import openai_server as fake
from tests.fakes.chat_fakes import FakeDispatcher, FakeEnvelope, FakeOfflineEngine

ORDER_ARGS = {
    "side": "buy",
    "amount": 0.01,
    "pair": "btc/usd",
    "price": 61000.0,
    "stop": 59000,
    "target": "65000",
}


def _tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_tool_call_result_then_final_answer(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(fake.tools(fake.tool_call("get_status", {}, "call_status")), fake.text("All calm, jimmy."))

    reply = make_agent().answer(env, "how are we doing?", dispatcher)

    assert reply.text == "All calm, jimmy."
    assert reply.kind == "text"
    assert dispatcher.commands == ["status"]
    first, second = server.chat_requests()
    assert first["model"] == "gpt-4o" and first["tool_choice"] == "auto"
    assert {t["function"]["name"] for t in first["tools"]} >= {"get_status", "request_order", "get_pnl"}
    echoed = second["messages"][-2]
    assert echoed["role"] == "assistant" and echoed["tool_calls"][0]["id"] == "call_status"
    assert _tool_messages(second) == [
        {"role": "tool", "tool_call_id": "call_status", "content": "[status] ok"}
    ]
    assert server.requests[0].headers["authorization"].startswith("Bearer ")


def test_tools_map_to_commands(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    calls = [
        fake.tool_call("get_pnl", {"period": "week"}, "c1"),
        fake.tool_call("get_trades", {"n": 5}, "c2"),
        fake.tool_call("explain_trade", {"trade_id": "skip"}, "c3"),
        fake.tool_call("set_preference", {"name": "report_hour", "value": "8"}, "c4"),
        fake.tool_call("run_backtest", {"pair": "eth/usd"}, "c5"),
        fake.tool_call("pause_trading", {}, "c6"),
    ]
    server.script(fake.tools(*calls), fake.text("done"))

    make_agent().answer(env, "lots of things", dispatcher)

    assert dispatcher.commands == [
        "pnl week",
        "trades 5",
        "why skip",
        "set report_hour 8",
        "backtest ETH/USD",
        "pause",
    ]
    ids = [m["tool_call_id"] for m in _tool_messages(server.chat_requests()[1])]
    assert ids == ["c1", "c2", "c3", "c4", "c5", "c6"]


def test_request_order_ends_in_the_dispatchers_confirmation(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(
        fake.tools(fake.tool_call("request_order", ORDER_ARGS, "call_order"), content="Buying now!"),
        fake.text("Your order has been placed."),  # must never be asked for, let alone shown
    )

    reply = make_agent().answer(env, "buy a bit of bitcoin at 61k with a stop at 59k", dispatcher)

    assert reply.kind == "confirm"
    assert reply.buttons == ["yes", "no"]
    assert "placed" not in reply.text and "Buying now" not in reply.text
    assert dispatcher.commands == ["buy 0.01 BTC/USD at 61000 sl 59000 tp 65000"]
    assert dispatcher.pending == "buy 0.01 BTC/USD at 61000 sl 59000 tp 65000"
    assert dispatcher.executed == []
    assert len(server.chat_requests()) == 1


def test_confirmation_stops_the_rest_of_the_batch(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(
        fake.tools(
            fake.tool_call("get_status", {}, "a"),
            fake.tool_call("resume_trading", {}, "b"),
            fake.tool_call("request_order", ORDER_ARGS, "c"),
        )
    )

    reply = make_agent().answer(env, "resume and buy", dispatcher)

    assert reply.kind == "confirm" and reply.text.startswith("resume")
    assert dispatcher.commands == ["status", "resume"]
    assert dispatcher.executed == []


def test_model_claiming_an_order_without_a_tool_gets_a_correction(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(fake.text("Done! I bought 0.5 BTC for you."))

    reply = make_agent().answer(env, "buy me bitcoin", dispatcher)

    assert reply.text.endswith(NO_ORDER_NOTE)
    assert dispatcher.commands == [] and dispatcher.executed == []


def test_tool_rounds_are_bounded(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
) -> None:
    server.script(*[fake.tools(fake.tool_call("get_status", {}, f"c{i}")) for i in range(5)])

    reply = make_agent(max_rounds=2).answer(env, "loop forever", dispatcher)

    requests = server.chat_requests()
    assert [r["tool_choice"] for r in requests] == ["auto", "auto", "none"]
    assert dispatcher.commands == ["status", "status"]
    assert "[status] ok" in reply.text


def test_dispatcher_exception_becomes_a_tool_error(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    env: FakeEnvelope,
) -> None:
    dispatcher = FakeDispatcher(raise_on="status")
    server.script(
        fake.tools(fake.tool_call("get_status", {}, "s")), fake.text("I could not read the status.")
    )

    reply = make_agent().answer(env, "status?", dispatcher)

    assert reply.text == "I could not read the status."
    [tool_msg] = _tool_messages(server.chat_requests()[1])
    assert tool_msg["content"] == "tool error: the command failed (RuntimeError)"


def test_offline_engine_is_not_used_when_the_llm_answers(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    offline: FakeOfflineEngine,
    env: FakeEnvelope,
) -> None:
    server.script(fake.text("hello"))
    assert make_agent().answer(env, "hi", dispatcher).text == "hello"
    assert offline.calls == []
