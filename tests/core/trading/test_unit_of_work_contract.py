"""Trading's unit of work keeps one promise — a change of a position commits whole or not at all —
and the SQL implementation and the FakeUnitOfWork keep it alike. The fake runs without a
database: these are the position-bookkeeping tests that need no SQLite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from core.clock import SimClock
from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow
from core.trading.bracket import Bracket
from core.trading.unit_of_work import UnitOfWork
from core.trading.uow_sql import SqlUnitOfWork
from tests.fakes.unit_of_work import FakeUnitOfWork

PAIR, T0, D = "BTC/USD", 1_700_006_400_000, Decimal

MAKERS: dict[str, Callable[[], UnitOfWork]] = {
    "sql": lambda: SqlUnitOfWork(make_engine("sqlite://"), SimClock(T0)),
    "fake": FakeUnitOfWork,
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


def test_the_fake_links_the_entry_order_and_drops_its_plan_in_the_same_commit() -> None:
    uow = FakeUnitOfWork()
    with uow.change() as tx:
        row = tx.open_trade(trade(), entry_ref="ref-1")
    assert uow.committed.orders["ref-1"]["trade_id"] == row.id
    assert uow.committed.plans_dropped == {"ref-1"} and uow.commits == 1
    with pytest.raises(RuntimeError), uow.change() as tx:
        tx.update_order("ref-2", status="closed")
        raise RuntimeError("no commit")
    assert "ref-2" not in uow.committed.orders and uow.commits == 1
