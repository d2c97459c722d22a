"""The live side of the daily profit target: stops raised to break-even plus fees on the exchange
(old stop cancelled, new one resting), or positions flattened; the owner is told by a typed
`ProfitTargetReached` (worded in bot/text/safety.py). Asked through the door (`LockInProfit`), as
the autopilot asks; runs without a database (MemoryExchange + FakeUnitOfWork)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.strategy.profit_target import DailyTarget, breakeven_stop
from core.trading.commands import LockInProfit
from core.trading.events import ProfitLockOutcome, ProfitTargetReached
from core.trading.results import Code
from core.trading.types import ManualOrder
from tests.core.trading.fakes import Heard
from tests.core.trading.helpers import FakeStack, build_fake_stack

PAIR = "BTC/USD"
T0 = 1_700_000_000_000


@pytest.fixture
def stack() -> FakeStack:
    s = build_fake_stack((PAIR,), start_ms=T0)
    s.exchange.set_price(PAIR, Decimal("30000"), T0)
    result = s.service.place_manual(ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000"),
                                                target=Decimal("33000")))
    assert result.ok, result.text
    s.exchange.set_price(PAIR, Decimal("31000"), T0 + 60_000)
    return s


def test_breakeven_moves_the_exchange_stop_up_to_cover_both_fees(stack: FakeStack) -> None:
    [before] = stack.exchange.fetch_open_orders()
    heard = Heard(stack.service.bus, ProfitTargetReached)
    result = stack.service.handle(LockInProfit("breakeven", DailyTarget(0.02)))
    assert result.ok and result.code == Code.PROFIT_LOCKED
    [after] = stack.exchange.fetch_open_orders()
    [bracket] = stack.service.brackets(PAIR)
    fee = float(stack.exchange.fee_rate(PAIR))
    expected = breakeven_stop(float(bracket.entry_price), fee)
    assert after.id != before.id and after.type == "stop-loss" and after.amount == Decimal("0.01")
    assert expected <= float(after.price) < expected + 0.1  # rounded UP to BTC/USD's 1 price decimal
    assert bracket.stop == after.price and bracket.stop_order_id == after.id
    outcomes = (ProfitLockOutcome(PAIR, "raised", stop=after.price),)
    assert heard.events == [ProfitTargetReached(Decimal("0.02"), "breakeven", outcomes)]
    again = stack.service.handle(LockInProfit("breakeven", DailyTarget(0.02)))  # a second time: nothing moves
    assert again.ok and heard.events[-1].outcomes == (ProfitLockOutcome(PAIR, "at_breakeven", stop=after.price),)
    assert [o.id for o in stack.exchange.fetch_open_orders()] == [after.id]


def test_flatten_sells_the_position_with_its_own_reason(stack: FakeStack) -> None:
    heard = Heard(stack.service.bus, ProfitTargetReached)
    stack.service.handle(LockInProfit("flatten", DailyTarget(0.02, "flatten")))
    assert not stack.service.has_position(PAIR) and stack.exchange.fetch_open_orders() == []
    [trade] = stack.service.journal.closed_trade_rows()
    assert trade.status == "closed" and trade.exit_reason == "profit_target"
    [closed] = heard.events[-1].outcomes
    assert closed.what == "closed" and [e.trade_id for e in closed.exits] == [trade.id]
