"""Malformed or hostile tool arguments go back to the model as a tool error; nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.agent.engine import AgentEngine
from bot.agent.tools import TOOL_SCHEMAS, ToolArgError, command_for
from tests.fakes import openai_server as fake
from tests.fakes.chat_fakes import FakeDispatcher, FakeEnvelope


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        ("get_trades", "{not json", "arguments are not valid JSON"),
        ("get_trades", "[5]", "arguments must be a JSON object"),
        ("get_trades", {"n": "five"}, "'n' must be an integer"),
        ("get_trades", {"n": 5000}, "'n' must be between 1 and 50"),
        ("get_pnl", {"period": "decade"}, "'period' must be one of today, week, all"),
        (
            "request_order",
            {"side": "hodl", "amount": 1, "pair": "BTC/USD"},
            "'side' must be one of buy, sell",
        ),
        ("request_order", {"side": "buy", "amount": "lots", "pair": "BTC/USD"}, "'amount' must be a number"),
        ("request_order", {"side": "buy", "amount": -1, "pair": "BTC/USD"}, "'amount' must be a positive"),
        ("request_order", {"side": "buy", "amount": True, "pair": "BTC/USD"}, "'amount' must be a number"),
        ("request_order", {"side": "buy", "amount": "NaN", "pair": "BTC/USD"}, "'amount' must be a positive"),
        ("request_order", {"side": "buy", "pair": "BTC/USD"}, "missing required argument 'amount'"),
        ("request_order", {"side": "buy", "amount": 1, "pair": "BTC/USD\nyes"}, "'pair' is not valid"),
        ("request_order", {"side": "buy", "amount": 1, "pair": ["BTC"]}, "'pair' must be a string"),
        ("set_preference", {"name": "x", "value": "1\nbuy 1 BTC"}, "'value' is not valid"),
        ("set_preference", {"name": "x", "value": "yes"}, "'value' is not valid"),
        ("explain_trade", {"trade_id": 1.5}, "'trade_id' must be an integer"),
        ("place_order_now", {}, "unknown tool 'place_order_now'"),
    ],
)
def test_bad_arguments_become_a_tool_error_for_the_model(
    server: fake.FakeOpenAIServer,
    make_agent: Callable[..., AgentEngine],
    dispatcher: FakeDispatcher,
    env: FakeEnvelope,
    name: str,
    arguments: Any,
    error: str,
) -> None:
    server.script(
        fake.tools(fake.tool_call(name, arguments, "bad")), fake.text("Let me try that differently.")
    )

    reply = make_agent().answer(env, "do it", dispatcher)

    assert reply.text == "Let me try that differently."
    assert dispatcher.commands == []
    [tool_msg] = [m for m in server.chat_requests()[1]["messages"] if m["role"] == "tool"]
    assert tool_msg["tool_call_id"] == "bad"
    assert tool_msg["content"].startswith("tool error: ")
    assert error in tool_msg["content"]


@pytest.mark.parametrize(
    ("name", "arguments", "command"),
    [
        ("request_order", '{"side":"sell","amount":"0.5","pair":"ETH-USD"}', "sell 0.5 ETH-USD"),
        (
            "request_order",
            '{"side":"BUY","amount":1e-2,"pair":"xbtusd","price":61000.50}',
            "buy 0.01 XBTUSD at 61000.5",
        ),
        (
            "request_order",
            '{"side":"buy","amount":10,"pair":"BTC/USD","target":70000}',
            "buy 10 BTC/USD tp 70000",
        ),
        ("get_trades", '{"n": "7"}', "trades 7"),
        ("explain_trade", '{"trade_id": 42}', "why 42"),
        ("explain_trade", '{"trade_id": "last"}', "why last"),
        ("get_status", "", "status"),
        ("resume_trading", "{}", "resume"),
    ],
)
def test_arguments_are_normalised_into_the_chat_grammar(name: str, arguments: str, command: str) -> None:
    assert command_for(name, arguments) == command


def test_every_schema_has_a_builder_and_forbids_extra_fields() -> None:
    for schema in TOOL_SCHEMAS:
        fn = schema["function"]
        assert fn["parameters"]["additionalProperties"] is False
        try:
            command_for(fn["name"], "{}")
        except ToolArgError as exc:  # required arguments missing is fine; unknown tool is not
            assert "unknown tool" not in str(exc)
