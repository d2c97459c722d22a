"""Trading's unit of work keeps one promise — a change of a position commits whole or not at all —
and the SQL implementation and the FakeUnitOfWork keep it alike, with the journal and the kv state
beside it. The fake runs without a database, so trading's own tests can run on it
(tests/core/trading/test_service_on_fake.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from core.clock import SimClock
from core.domain import OrderRequest
from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow
from core.trading.bracket import Bracket
from core.trading.unit_of_work import UnitOfWork
from core.trading.uow_sql import PLAN_PREFIX, SqlUnitOfWork
from tests.fakes.unit_of_work import FakeUnitOfWork

PAIR, T0, D = "BTC/USD", 1_700_006_400_000, Decimal

MAKERS: dict[str, Callable[[], UnitOfWork]] = {
    "sql": lambda: SqlUnitOfWork(make_engine("sqlite://"), SimClock(T0)),
    "fake": lambda: FakeUnitOfWork(SimClock(T0)),
}


@pytest.fixture(params=sorted(MAKERS))
def uow(request: pytest.FixtureRequest) -> UnitOfWork:
    return MAKERS[request.param]()


def trade(amount: str = "0.01") -> TradeRow:
    return TradeRow(pair=PAIR, side="buy", entry_ms=T0, entry_price=D("30000"), amount=D(amount), stop_price=D("29000"))


def bracket(trade_id: int, amount: str = "0.01") -> Bracket:
    return Bracket(trade_id, PAIR, D(amount), D("30000.1"), D("300.080026"), D("0.780026"), D("29000.12345678901234"),
                   None, "O1", 10.0, T0, realized=D("-0.000000000000000001"))


def open_position(uow: UnitOfWork, amount: str = "0.01") -> Bracket:
    with uow.change() as tx:
        row = tx.open_trade(trade(amount))
        assert row.id is not None
        saved = bracket(row.id, amount)
        tx.save(saved)
    return saved


def test_a_position_comes_back_digit_for_digit(uow: UnitOfWork) -> None:
    saved = open_position(uow)
    assert uow.load() == {saved.trade_id: saved}


def test_each_trade_gets_its_own_id(uow: UnitOfWork) -> None:
    first, second = open_position(uow), open_position(uow, "0.02")
    assert first.trade_id != second.trade_id
    assert set(uow.load()) == {first.trade_id, second.trade_id}


def test_a_change_that_fails_midway_leaves_the_old_state(uow: UnitOfWork) -> None:
    before = open_position(uow)
    with pytest.raises(RuntimeError), uow.change() as tx:
        tx.save(replace(before, amount=D("0.004"), sold=D("0.006")))
        tx.update_trade(before.trade_id, status="closed")
        raise RuntimeError("crash between the writes")
    assert uow.load() == {before.trade_id: before}


def test_a_close_drops_the_position_with_its_trade_update(uow: UnitOfWork) -> None:
    before = open_position(uow)
    with uow.change() as tx:
        tx.update_trade(before.trade_id, status="closed", exit_price=D("31000"))
        tx.drop(before.trade_id)
    assert uow.load() == {}


def entry_order(uow: UnitOfWork, ref: str) -> None:
    uow.journal.order_new(OrderRequest(PAIR, "buy", "market", D("0.01"), client_ref=ref), "entry")
    uow.kv.set_json(PLAN_PREFIX + ref, {"pair": PAIR})


def test_opening_a_trade_links_its_entry_order_and_drops_its_plan_in_the_same_commit(uow: UnitOfWork) -> None:
    entry_order(uow, "ref-1")
    with uow.change() as tx:
        row = tx.open_trade(trade(), entry_ref="ref-1")
    [order] = uow.journal.orders_with_status(["new"])
    assert order.client_ref == "ref-1" and order.trade_id == row.id
    assert uow.kv.get_json(PLAN_PREFIX + "ref-1") is None
    assert [t.id for t in uow.journal.open_trades()] == [row.id]


def test_a_failed_change_links_nothing_and_keeps_the_plan(uow: UnitOfWork) -> None:
    entry_order(uow, "ref-2")
    with pytest.raises(RuntimeError), uow.change() as tx:
        tx.open_trade(trade(), entry_ref="ref-2")
        tx.update_order("ref-2", status="closed")
        raise RuntimeError("no commit")
    [order] = uow.journal.orders_with_status(["new"])
    assert order.trade_id is None and uow.kv.get_json(PLAN_PREFIX + "ref-2") == {"pair": PAIR}
    assert uow.journal.open_trades() == [] and uow.load() == {}


def test_a_row_handed_out_is_a_copy(uow: UnitOfWork) -> None:
    entry_order(uow, "ref-3")
    [order] = uow.journal.orders_with_status(["new"])
    order.status = "closed"  # a caller's change of its copy is not stored
    assert [o.client_ref for o in uow.journal.orders_with_status(["new"])] == ["ref-3"]


def test_a_closed_trade_is_read_back_with_its_exact_money(uow: UnitOfWork) -> None:
    before = open_position(uow)
    with uow.change() as tx:
        tx.update_trade(before.trade_id, status="closed", exit_price=D("31000.12345678"), pnl=D("9.87654321"))
        tx.drop(before.trade_id)
    [closed] = uow.journal.closed_trade_rows(PAIR)
    assert (closed.exit_price, closed.pnl) == (D("31000.12345678"), D("9.87654321"))
    assert uow.journal.open_trades() == [] and uow.journal.closed_trade_rows("ETH/USD") == []


def test_the_fake_counts_only_whole_commits() -> None:
    uow = FakeUnitOfWork()
    open_position(uow)
    with pytest.raises(RuntimeError), uow.change() as tx:
        tx.drop(1)
        raise RuntimeError("no commit")
    assert uow.commits == 1 and set(uow.load()) == {1}
