"""Restart keeps the account; a failed write leaves neither memory nor database half-changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from core.domain import Candle, OrderRequest
from core.paper import store as store_module
from core.paper.exchange import PaperExchange
from core.telemetry.db import make_engine
from tests.core.paper.conftest import T0, MakeExchange

D = Decimal
BTC = "BTC/USD"


def state(ex: PaperExchange) -> tuple[object, ...]:
    return (ex.fetch_balances(), ex.fetch_open_orders(), ex.fetch_closed_orders(), ex.fetch_my_trades())


def test_restart_keeps_balances_orders_fills_prices(make_exchange: MakeExchange, db_url: str) -> None:
    ex = make_exchange()
    ex.set_price(BTC, D("30000"), T0)
    buy = ex.create_order(OrderRequest(BTC, "buy", "market", D("0.1"), client_ref="e1"))
    stop = ex.create_order(OrderRequest(BTC, "sell", "stop-loss", D("0.1"), D("29000")))
    ex.walk_candle(BTC, Candle(T0 + 10, 30100.0, 30200.0, 29950.5, 30150.5, 1.0))
    before = state(ex)

    fresh_engine = make_engine(db_url)  # a new process: new engine, new exchange
    try:
        again = make_exchange(engine=fresh_engine, start_balances={"USD": D("1")})
        assert state(again) == before
        assert again.fetch_balances().free["BTC"] == 0  # the stop still reserves
        assert again.fetch_ticker(BTC).last == D("30150.5")
        assert again.create_order(OrderRequest(BTC, "buy", "market", D("0.1"), client_ref="e1")) == buy
        new = again.create_order(OrderRequest(BTC, "buy", "market", D("0.01")))
        assert new.id not in {buy.id, stop.id}
        assert {f.id for f in again.fetch_my_trades()} > {f.id for f in ex.fetch_my_trades()}
        again.walk_candle(BTC, Candle(T0 + 20, 29500.0, 29600.0, 28000.0, 28500.0, 1.0))
        assert again.fetch_order(stop.id).average_price == D("29000")
    finally:
        fresh_engine.dispose()


def test_failed_write_changes_nothing(
    make_exchange: MakeExchange, monkeypatch: pytest.MonkeyPatch, db: Engine
) -> None:
    ex = make_exchange()
    ex.set_price(BTC, D("30000"), T0)
    before = state(ex)
    real_upsert = store_module._upsert

    def failing_upsert(conn: Any, table: Any, key: str, values: dict[str, Any]) -> None:
        real_upsert(conn, table, key, values)
        if table.name == "paper_orders":  # balances are already written in this transaction
            raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "_upsert", failing_upsert)
    with pytest.raises(RuntimeError, match="disk full"):
        ex.create_order(OrderRequest(BTC, "buy", "market", D("0.1")))
    monkeypatch.setattr(store_module, "_upsert", real_upsert)
    assert state(ex) == before
    assert state(make_exchange()) == before
    order = ex.create_order(OrderRequest(BTC, "buy", "market", D("0.1")))
    assert ex.fetch_balances().total["BTC"] == D("0.1") and order.status == "closed"


def test_start_balances_only_seed_an_empty_database(make_exchange: MakeExchange) -> None:
    make_exchange(start_balances={"USD": D("250"), "BTC": D("1")})
    assert make_exchange(start_balances={"USD": D("9")}).fetch_balances().total == {
        "USD": D("250"),
        "BTC": D("1"),
    }
