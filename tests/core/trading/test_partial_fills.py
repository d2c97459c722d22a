"""Partial fills: the service acts on the coins actually held. A stop that sold a part is booked
pro rata and the rest keeps a stop (or is sold exactly); a market buy that filled a part has its
rest canceled and what filled bracketed; a fee taken in coins caps the stop and the exit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.domain import Candle
from core.markets.catalog import market_for
from core.telemetry.models import SafetyEventRow
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.fakes import PartialFills
from tests.core.trading.helpers import Stack, build_stack

PAIR = "BTC/USD"
T0 = 1_700_006_400_000
HOUR = 3_600_000
D = Decimal


@pytest.fixture
def stack() -> Stack:
    s = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    s.exchange.set_price(PAIR, D("30000"), T0)
    return s


def service(stack: Stack, ex: PartialFills | None = None) -> tuple[PartialFills, TradingService]:
    ex = ex or PartialFills(stack.exchange)
    svc = TradingService(
        ex, stack.db, stack.clock, pairs=(PAIR,), markets={PAIR: market_for(PAIR)},
        start_equity=10000.0, sleep=lambda _s: None,
    )
    return ex, svc


def buy() -> ManualOrder:
    return ManualOrder("buy", D("0.01"), PAIR, stop=D("29000"), target=D("32000"))


def safety_kinds(stack: Stack) -> list[str]:
    with Session(stack.db) as s:
        return [r.kind for r in s.exec(select(SafetyEventRow)).all()]


def exact_pnl(stack: Stack) -> D:
    """Proceeds of every sell minus their fees minus the entry's cost and fee (one trade)."""
    fills = stack.exchange.fetch_my_trades()
    buys = [f for f in fills if f.side == "buy"]
    sells = [f for f in fills if f.side == "sell"]
    cost = sum((f.amount * f.price + f.fee for f in buys), D(0))
    return sum((f.amount * f.price - f.fee for f in sells), D(0)) - cost


def expected_pnl(stack: Stack) -> float:
    return float(exact_pnl(stack))


def test_exit_after_a_partly_filled_stop_books_the_part_and_sells_exactly_the_rest(stack: Stack) -> None:
    ex, svc = service(stack)
    assert svc.place_manual(buy()).ok
    stop_id = svc.brackets(PAIR)[0].stop_order_id
    ex.partial_stop(stop_id, D("0.004"), at=D("28990"), after=D("31000"))
    result = svc.exit_position(PAIR, "manual")
    assert result.ok, result.text
    assert not svc.has_position(PAIR)
    assert stack.exchange.fetch_balances().total["BTC"] == 0
    assert stack.exchange.fetch_open_orders() == []
    [trade] = svc.journal.closed_trades()
    assert trade.exit_reason == "manual"
    assert trade.pnl == pytest.approx(expected_pnl(stack), abs=1e-9)
    sells = [f for f in stack.exchange.fetch_my_trades() if f.side == "sell"]
    assert [f.amount for f in sells] == [D("0.004"), D("0.006")]
    assert trade.exit_price == pytest.approx((0.004 * 28990 + 0.006 * 31000) / 0.01)
    assert "partial_fill" in safety_kinds(stack) and "naked_position" not in safety_kinds(stack)


def test_a_partly_filled_stop_canceled_behind_our_back_is_re_placed_for_the_rest(stack: Stack) -> None:
    ex, svc = service(stack)
    assert svc.place_manual(buy()).ok
    stop_id = svc.brackets(PAIR)[0].stop_order_id
    ex.partial_stop(stop_id, D("0.004"), at=D("28990"), after=D("29500"))
    ex.cancel_order(stop_id)  # the exchange (or someone) canceled the rest
    assert svc.sync() == []
    [bracket] = svc.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert stop.type == "stop-loss" and stop.amount == bracket.amount == D("0.006")
    assert bracket.stop_order_id == stop.id and bracket.sold == D("0.004")
    svc.sync()
    assert len(stack.exchange.fetch_open_orders()) == 1  # never a second stop
    stack.exchange.walk_candle(PAIR, Candle(T0 + HOUR, 29500, 29500, 28000, 28500, 0), 1)
    [done] = svc.sync()
    assert done.reason == "stop" and done.amount == D("0.01")
    assert done.pnl == exact_pnl(stack)  # exact: the booked P&L is the fills' Decimal arithmetic
    assert not svc.has_position(PAIR) and stack.exchange.fetch_balances().total["BTC"] == 0


def test_a_stop_that_fills_in_two_parts_closes_the_whole_trade(stack: Stack) -> None:
    """The first part shrinks the position at once and its stop is replaced by one of exactly the
    coins left (issue 19's invariant: a resting stop short of the position's coins is never kept)."""
    ex, svc = service(stack)
    assert svc.place_manual(buy()).ok
    first = svc.brackets(PAIR)[0].stop_order_id
    ex.partial_stop(first, D("0.003"), at=D("28990"), after=D("29500"))
    assert svc.sync() == []
    [bracket] = svc.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert bracket.amount == stop.amount == D("0.007") and bracket.stop_order_id == stop.id != first
    assert svc.sync() == [] and len(stack.exchange.fetch_open_orders()) == 1  # never a second stop
    stack.exchange.walk_candle(PAIR, Candle(T0 + HOUR, 29500, 29500, 28000, 28500, 0), 1)
    [done] = svc.sync()
    assert done.amount == D("0.01") and done.pnl == exact_pnl(stack)


def test_a_partly_filled_market_buy_is_canceled_and_what_filled_is_bracketed(stack: Stack) -> None:
    ex, svc = service(stack)
    ex.buy_part = D("0.004")
    result = svc.place_manual(buy())
    assert result.ok, result.text
    [bracket] = svc.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert bracket.amount == stop.amount == D("0.004") and stop.type == "stop-loss"
    assert [v.status for v in ex.views.values()] == ["canceled"]
    assert svc.sync() == [] and len(svc.brackets(PAIR)) == 1


def test_a_partly_filled_market_buy_whose_cancel_fails_is_finished_by_sync(stack: Stack) -> None:
    ex, svc = service(stack)
    ex.buy_part, ex.cancel_down = D("0.004"), 3
    result = svc.place_manual(buy())
    assert not result.ok and "sync" in result.text
    assert "naked_position" in safety_kinds(stack)
    svc.sync()
    [bracket] = svc.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert bracket.amount == stop.amount == D("0.004") and stop.type == "stop-loss"
    svc.sync()
    assert len(svc.brackets(PAIR)) == 1 and len(stack.exchange.fetch_open_orders()) == 1


def test_a_fee_taken_in_coins_caps_the_stop_and_the_exit(stack: Stack) -> None:
    ex, svc = service(stack)
    ex.coin_fee = D("0.00002")
    assert svc.place_manual(buy()).ok
    [bracket] = svc.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert bracket.amount == stop.amount == D("0.00998") and bracket.stop_order_id == stop.id
    assert "amount_capped" in safety_kinds(stack) and "naked_position" not in safety_kinds(stack)
    stack.exchange.set_price(PAIR, D("31000"), T0)
    assert svc.exit_position(PAIR, "manual").ok
    assert ex.fetch_balances().total["BTC"] == 0 and not svc.has_position(PAIR)
    [trade] = svc.journal.closed_trades()
    assert trade.pnl == pytest.approx(expected_pnl(stack), abs=1e-9)  # the whole entry cost


def test_reconcile_books_a_stop_that_partly_filled_while_down_and_protects_the_rest(stack: Stack) -> None:
    ex, svc = service(stack)
    assert svc.place_manual(buy()).ok
    stop_id = svc.brackets(PAIR)[0].stop_order_id
    ex.partial_stop(stop_id, D("0.004"), at=D("28990"), after=D("29500"))
    ex.cancel_order(stop_id)
    _, again = service(stack, ex)  # a restart
    report = Reconciler(again).run()
    assert not report.problems, report.text()
    [bracket] = again.brackets(PAIR)
    [stop] = stack.exchange.fetch_open_orders()
    assert bracket.amount == stop.amount == D("0.006") and bracket.stop_order_id == stop.id
    assert again.journal.open_trades()[0].id == bracket.trade_id
