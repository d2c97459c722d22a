"""A limit buy that fills in part and stays open: on sync (or reconcile) its rest is canceled
(confirmed by reading it back) and exactly what filled gets ONE bracket with ONE stop; the
owner is told. Nothing is ever bought twice, stopped twice, or left without a stop."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.markets.catalog import market_for
from core.telemetry.models import SafetyEventRow
from core.trading.events import PartialEntry
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.fakes import Heard, PartialFills
from tests.core.trading.helpers import Stack, build_stack

PAIR = "BTC/USD"
T0 = 1_700_006_400_000
D = Decimal


@pytest.fixture
def stack() -> Stack:
    s = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    s.exchange.set_price(PAIR, D("30000"), T0)
    return s


def service(
    stack: Stack, ex: PartialFills | None = None
) -> tuple[PartialFills, TradingService]:
    ex = ex or PartialFills(stack.exchange)
    svc = TradingService(
        ex, stack.db, stack.clock, pairs=(PAIR,), markets={PAIR: market_for(PAIR)},
        start_equity=10000.0, sleep=lambda _s: None,
    )
    return ex, svc


def place_limit(svc: TradingService) -> str:
    result = svc.place_manual(
        ManualOrder("buy", D("0.01"), PAIR, price=D("29500"), stop=D("29000"), target=D("32000"))
    )
    assert result.ok and "placed" in result.text, result.text
    return str(result.data["order_id"])


def safety_kinds(stack: Stack) -> list[str]:
    with Session(stack.db) as s:
        return [r.kind for r in s.exec(select(SafetyEventRow)).all()]


def only_stop(stack: Stack) -> Decimal:
    [stop] = stack.exchange.fetch_open_orders()
    assert stop.type == "stop-loss" and stop.side == "sell"
    return stop.amount


def test_an_unfilled_limit_entry_stays_open_on_sync(stack: Stack) -> None:
    ex, svc = service(stack)
    order_id = place_limit(svc)
    assert svc.sync() == [] and not svc.has_position(PAIR)
    assert ex.fetch_order(order_id).status == "open"


def test_a_partly_filled_limit_entry_is_cut_and_what_filled_is_stopped(stack: Stack) -> None:
    ex, svc = service(stack)
    heard = Heard(svc.bus, PartialEntry)
    order_id = place_limit(svc)
    ex.fill_limit(order_id, D("0.004"))
    assert svc.sync() == []
    [bracket] = svc.brackets(PAIR)
    assert bracket.amount == only_stop(stack) == D("0.004") == stack.exchange.fetch_balances().total["BTC"]
    assert bracket.entry_price == D("29500") and bracket.stop == D("29000")
    assert ex.fetch_order(order_id).status == "canceled"
    assert "partial_entry" in safety_kinds(stack) and "naked_position" not in safety_kinds(stack)
    assert heard.events == [PartialEntry(PAIR, order_id, D("0.004"), D("0.01"))]
    for _ in range(2):  # never a second bracket or stop
        svc.sync(full=True)
        assert len(svc.brackets(PAIR)) == 1 and only_stop(stack) == D("0.004")


def test_an_unconfirmed_cancel_brackets_nothing_until_a_later_sync_confirms_it(stack: Stack) -> None:
    ex, svc = service(stack)
    order_id = place_limit(svc)
    ex.fill_limit(order_id, D("0.004"))
    ex.cancel_down = 3
    svc.sync()
    assert not svc.has_position(PAIR) and ex.fetch_order(order_id).status == "open"
    ex.fill_limit(order_id, D("0.002"))  # more fills before the next try: all of it is stopped
    svc.sync()
    [bracket] = svc.brackets(PAIR)
    assert bracket.amount == only_stop(stack) == D("0.006")
    svc.sync()
    assert len(svc.brackets(PAIR)) == 1 and only_stop(stack) == D("0.006")


def test_a_rest_that_fills_as_the_cancel_arrives_is_bracketed_whole_once(stack: Stack) -> None:
    ex, svc = service(stack)
    order_id = place_limit(svc)
    ex.fill_limit(order_id, D("0.004"))
    ex.fill_on_cancel = D("0.006")
    svc.sync()
    assert ex.fetch_order(order_id).status == "closed"
    [bracket] = svc.brackets(PAIR)
    assert bracket.amount == only_stop(stack) == D("0.01")
    assert "partial_entry" not in safety_kinds(stack)
    svc.sync()
    assert len(svc.brackets(PAIR)) == 1 and only_stop(stack) == D("0.01")


def test_the_cut_entry_books_its_pnl_exactly(stack: Stack) -> None:
    ex, svc = service(stack)
    ex.fill_limit(place_limit(svc), D("0.004"))
    svc.sync()
    stack.exchange.set_price(PAIR, D("31000"), T0)
    assert svc.exit_position(PAIR, "manual").ok
    fills = stack.exchange.fetch_my_trades()
    cost = sum((f.amount * f.price + f.fee for f in fills if f.side == "buy"), D(0))
    proceeds = sum((f.amount * f.price - f.fee for f in fills if f.side == "sell"), D(0))
    [trade] = svc.journal.closed_trades()
    assert trade.pnl == pytest.approx(float(proceeds - cost), abs=1e-9)
    assert stack.exchange.fetch_balances().total["BTC"] == 0


def test_reconcile_cuts_a_partly_filled_limit_entry_and_stops_what_filled(stack: Stack) -> None:
    ex, svc = service(stack)
    order_id = place_limit(svc)
    ex.fill_limit(order_id, D("0.004"))
    _, again = service(stack, ex)  # a restart before any sync saw the fill
    report = Reconciler(again).run()
    assert not report.problems, report.text()
    assert any(order_id in a and "opened" in a for a in report.actions), report.text()
    [bracket] = again.brackets(PAIR)
    assert bracket.amount == only_stop(stack) == D("0.004") and bracket.stop_order_id
    assert ex.fetch_order(order_id).status == "canceled"


def test_reconcile_brackets_an_entry_canceled_just_before_a_crash(stack: Stack) -> None:
    ex, svc = service(stack)
    order_id = place_limit(svc)
    ex.fill_limit(order_id, D("0.004"))
    svc.desk.cancel_confirmed(order_id)  # the row says canceled; the crash came before the bracket
    _, again = service(stack, ex)
    report = Reconciler(again).run()
    assert not report.problems, report.text()
    [bracket] = again.brackets(PAIR)
    assert bracket.amount == only_stop(stack) == D("0.004")
    Reconciler(again).run()
    assert len(again.brackets(PAIR)) == 1 and only_stop(stack) == D("0.004")
