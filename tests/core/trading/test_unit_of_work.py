"""The open position as one exact record, changed in one transaction. (The move of a database
written before the positions table, brackets as JSON in the kv store, is a schema revision now:
tests/core/telemetry/test_schema_upgrade.py.)"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import SimClock
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.telemetry.models import OrderRow
from core.trading.bracket import Bracket
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from core.trading.uow_sql import SqlUnitOfWork
from tests.pg import BACKENDS, fresh_engine

PAIR = "BTC/USD"
T0 = 1_700_006_400_000
D = Decimal


def service(exchange: PaperExchange, clock: SimClock, db: Engine) -> TradingService:
    return TradingService(exchange, db, clock, pairs=(PAIR,), markets={PAIR: market_for(PAIR)},
                          start_equity=10000.0, sleep=lambda _s: None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_change_that_fails_midway_leaves_the_old_state(backend: str, tmp_path: Path) -> None:
    """book_sell's write: the selling order marked done AND the position shrunk, or neither."""
    db = fresh_engine(backend, tmp_path)
    clock = SimClock(T0)
    exchange = PaperExchange(db, {PAIR: market_for(PAIR)}, clock)
    exchange.set_price(PAIR, D("30000"), T0)
    svc = service(exchange, clock, db)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), None)).ok
    [before] = svc.brackets(PAIR)
    uow = SqlUnitOfWork(db, clock)
    with pytest.raises(RuntimeError), uow.change() as tx:
        tx.update_order(svc.journal.orders_for_trade(before.trade_id, ["open"])[0].client_ref, status="closed")
        tx.save(replace(before, amount=D("0.004"), sold=D("0.006")))
        raise RuntimeError("crash between the two writes")
    assert uow.load()[before.trade_id] == before
    with Session(db) as s:
        assert {r.status for r in s.exec(select(OrderRow).where(OrderRow.purpose == "stop")).all()} == {"open"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_prices_and_amounts_come_back_digit_for_digit(backend: str, tmp_path: Path) -> None:
    db = fresh_engine(backend, tmp_path)
    uow = SqlUnitOfWork(db, SimClock(T0))
    exact = Bracket(7, PAIR, D("0.00998"), D("30000.1"), D("300.080026"), D("0.780026"),
                    D("29000.12345678901234"), None, "O1", 10.0, T0, realized=D("-0.000000000000000001"))
    with uow.change() as tx:
        tx.save(exact)
    assert uow.load() == {7: exact}
