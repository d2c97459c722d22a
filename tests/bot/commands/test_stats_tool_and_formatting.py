"""The LLM's get_stats tool runs the `stats` command; replies show money, prices and amounts for people."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.agent.tools import TOOL_NAMES, TOOL_SCHEMAS, ToolArgError, command_for, run_tool
from bot.cli.shell import chat_once
from bot.conversation.envelope import Envelope, Reply, render_plain
from bot.dispatch.dispatcher import Dispatcher
from core.telemetry.models import TradeRow
from tests.bot.commands.test_stats_command import WEEK, ms, plant
from tests.fakes.services import T0, FakeStatus

Say = Callable[..., Reply]


@pytest.mark.parametrize(
    ("arguments", "command"),
    [
        ({"dimension": "overall"}, "stats"),
        ({"dimension": "BEST"}, "stats best"),
        ({"dimension": "worst", "group": ""}, "stats worst"),
        ({"dimension": "pair"}, "stats pair"),
        ({"dimension": "weekday", "group": "Sunday"}, "stats weekday Sunday"),
        ({"dimension": "hour", "group": "0-4"}, "stats hour 0-4"),
        ({"dimension": "session", "group": "Asia+Europe"}, "stats session Asia+Europe"),
        ({"dimension": "pair", "group": "ETH/USD"}, "stats pair ETH/USD"),
    ],
)
def test_get_stats_maps_to_the_stats_command(arguments: dict[str, str], command: str) -> None:
    assert command_for("get_stats", json.dumps(arguments)) == command


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({}, "'dimension' must be one of overall, best, worst, pair"),
        ({"dimension": "decade"}, "'dimension' must be one of"),
        ({"dimension": 3}, "'dimension' must be one of"),
        ({"dimension": "best", "group": "Sunday"}, "'group' only goes with a breakdown dimension"),
        ({"dimension": "weekday", "group": "Sunday\nyes"}, "'group' is not valid"),
        ({"dimension": "weekday", "group": "yes"}, "'group' is not valid"),
        ({"dimension": "weekday", "group": ["Sunday"]}, "'group' must be a string"),
        ({"dimension": "weekday", "group": "x" * 40}, "'group' is not valid"),
    ],
)
def test_get_stats_rejects_bad_arguments(arguments: dict[str, object], error: str) -> None:
    with pytest.raises(ToolArgError, match=error):
        command_for("get_stats", json.dumps(arguments))


def test_get_stats_schema_is_strict() -> None:
    assert "get_stats" in TOOL_NAMES
    [schema] = [t["function"] for t in TOOL_SCHEMAS if t["function"]["name"] == "get_stats"]
    params = schema["parameters"]
    assert params["additionalProperties"] is False and params["required"] == ["dimension"]
    assert set(params["properties"]) == {"dimension", "group"}
    assert "weekday" in params["properties"]["dimension"]["enum"]


def test_get_stats_through_the_real_dispatcher(dispatcher: Dispatcher, db: Engine) -> None:
    plant(db, "BTC/USD", ms(2024, 6, 3, 10), WEEK, 20, 10)
    plant(db, "BTC/USD", ms(2024, 6, 2, 14), WEEK, 2, 4)
    env = Envelope("telegram", "111", "are sunday trades worth it?")
    outcome = run_tool("get_stats", '{"dimension": "weekday", "group": "sunday"}', env, dispatcher)
    assert outcome.command == "stats weekday sunday"  # the parser normalises it
    assert "On Sundays I won 2 of 6 (33 %, 95 % CI 10–70 %), small sample" in outcome.content
    assert "Group | Trades | Won (95 % CI)" in outcome.content
    bad = run_tool("get_stats", '{"dimension": "hour", "group": "25-30"}', env, dispatcher)
    assert bad.content.startswith("error: ") and "not an hour range" in bad.content


# ---- number formatting ------------------------------------------------------------------------


@pytest.fixture
def raw_floats(status: FakeStatus) -> FakeStatus:
    status.trades = [
        {
            "id": 7,
            "pair": "ETH/USD",
            "status": "closed",
            "amount": 0.015449999999999998,
            "entry_price": 3888.4912345678,
            "exit_price": 3780.6789471363295,
            "pnl": -107.81115164814784,
            "exit_reason": "stop",
        },
        {
            "id": 6,
            "pair": "DOGE/USD",
            "status": "open",
            "amount": 1234.5,
            "entry_price": 0.081234567891,
            "exit_price": None,
            "pnl": None,
            "exit_reason": "",
        },
    ]
    status.snap["positions"] = [
        {
            "pair": "ETH/USD",
            "amount": 0.30000000000000004,
            "entry_price": 3888.4912345678,
            "mark_price": 3901.123456789,
            "unrealized_pnl": 3.789654321987,
            "stop_price": 3700.987654321,
            "take_profit_price": 4100.00000001,
        }
    ]
    status.snap["open_orders"] = [
        {"id": "O1", "pair": "ETH/USD", "side": "sell", "type": "limit", "price": 4100.00000001, "amount": 0.3}
    ]
    status.snap["balances"] = {"ETH": 0.30000000000000004, "USD": 9386.123456}
    return status


def test_trades_table_shows_cents_prices_and_trimmed_amounts(dispatcher: Dispatcher, raw_floats: FakeStatus) -> None:
    reply = chat_once(dispatcher, "trades 3")  # what `zyn chat "trades 3"` prints
    assert reply.rows[0] == ("7", "ETH/USD", "closed", "0.01545", "3,888.49", "3,780.68", "-107.81 USD", "stop")
    assert reply.rows[1] == ("6", "DOGE/USD", "open", "1,234.5", "0.0812346", "-", "-", "-")
    text = render_plain(reply)
    assert "107.81115" not in text and "3,780.6789" not in text and "0.0154499" not in text


def test_positions_orders_balance_and_flatten_are_formatted(say: Say, raw_floats: FakeStatus) -> None:
    assert say("positions").rows[0] == (
        "ETH/USD", "0.3", "3,888.49", "3,901.12", "+3.79 USD", "3,700.99", "4,100.00",
    )
    assert say("orders").rows[0] == ("O1", "ETH/USD", "sell", "limit", "4,100.00", "0.3")
    assert say("balance").row_dict() == {"ETH": "0.3", "USD": "9,386.12", "Equity (USD)": "10,012.30 USD"}
    flat = say("flatten")
    assert flat.rows[0] == ("ETH/USD", "sell 0.3 at about 3,901.12 ≈ 1,170.34 USD")
    assert flat.rows[1] == ("Open orders", "cancel 1")
    say("no")


def test_why_and_backtest_are_formatted(say: Say, db: Engine) -> None:
    with Session(db) as s:
        s.add(
            TradeRow(
                pair="ETH/USD", status="closed", entry_ms=T0 - 7_200_000, exit_ms=T0, amount=0.015449999999999998,
                entry_price=3888.4912345678, exit_price=3780.6789471363295, stop_price=3780.6789471363295,
                pnl=-107.81115164814784, r_multiple=-1.0000000001, exit_reason="stop", atr=55.55555555,
            )
        )
        s.commit()
    why = say("why 1")
    assert "bought 0.01545 at 3,888.49" in why.text and "Closed at 3,780.68 (stop), P&L -107.81 USD, -1.00R" in why.text
    assert why.row_dict()["ATR"] == "55.56"
    bt = say("backtest btc").row_dict()
    assert bt["win rate"] == "4 of 7 (57 %, 95 % CI 25–84 %), small sample"
    assert bt["final equity"] == "10,250.00 USD" and bt["max drawdown"] == "3.1 %"
