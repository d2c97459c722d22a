"""TradingService on the real PaperExchange and SQLite: what needs the paper engine's candle walk (a
target hit inside a candle, a stop or limit filled by the walk). The rest of the service's own
behaviour runs without a database: test_service_on_fake.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import Candle
from core.markets.catalog import market_for
from core.trading.events import PositionClosed
from core.trading.types import ManualOrder
from tests.core.trading.helpers import Stack, build_stack

PAIR = "BTC/USD"
T0 = 1_700_000_000_000
HOUR = 3_600_000


@pytest.fixture
def stack() -> Stack:
    s = build_stack({PAIR: market_for(PAIR), "ETH/USD": market_for("ETH/USD")}, start_ms=T0)
    s.exchange.set_price(PAIR, Decimal("30000"), T0)
    s.exchange.set_price("ETH/USD", Decimal("2000"), T0)
    return s


def buy(
    amount: str = "0.01", sl: str | None = "29000", tp: str | None = "32000", **kw: object
) -> ManualOrder:
    return ManualOrder(
        "buy",
        Decimal(amount),
        PAIR,
        stop=Decimal(sl) if sl else None,
        target=Decimal(tp) if tp else None,
        **kw,
    )  # type: ignore[arg-type]



def test_watcher_exits_at_target_inside_a_candle_walk(stack: Stack) -> None:
    stack.service.place_manual(buy())
    stack.exchange.walk_candle(PAIR, Candle(T0 + HOUR, 30000, 32500, 29500, 32400, 1), HOUR)
    stack.service.sync()
    [trade] = stack.service.journal.closed_trades()
    assert trade.exit_reason == "target" and trade.exit_price == 32000
    expected = 0.01 * 32000 * (1 - 0.0026) - 0.01 * 30000 * 1.0026
    assert trade.pnl == pytest.approx(expected) and trade.r_multiple == pytest.approx(expected / 10)
    assert stack.exchange.fetch_open_orders() == [] and stack.exchange.fetch_balances().total["BTC"] == 0


def test_stop_fill_closes_the_trade_and_publishes_position_closed(stack: Stack) -> None:
    seen: list[str] = []
    stack.service.bus.subscribe(PositionClosed, lambda e: seen.append(e.reason))
    stack.service.place_manual(buy())
    stack.exchange.walk_candle(PAIR, Candle(T0 + HOUR, 30000, 33000, 28000, 31000, 1), HOUR)
    stack.service.sync()
    [trade] = stack.service.journal.closed_trades()
    assert trade.exit_reason == "stop" and trade.exit_price == 29000 and seen == ["stop"]


def test_limit_entry_is_bracketed_when_it_fills(stack: Stack) -> None:
    result = stack.service.place_manual(
        ManualOrder("buy", Decimal("1"), "ETH/USD", Decimal("1950"), Decimal("1900"))
    )
    assert result.ok and not stack.service.has_position("ETH/USD")
    stack.exchange.walk_candle("ETH/USD", Candle(T0 + HOUR, 2000, 2010, 1940, 1990, 1), HOUR)
    stack.service.sync()
    assert stack.service.has_position("ETH/USD")
    assert [o.type for o in stack.exchange.fetch_open_orders("ETH/USD")] == ["stop-loss"]

