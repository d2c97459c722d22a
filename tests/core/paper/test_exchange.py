"""PaperExchange over a real database: orders, idempotency, validate, errors, threads."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from core.domain import (
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRequest,
)
from core.paper.exchange import PaperExchange
from tests.core.paper.conftest import T0, MakeExchange

D = Decimal
BTC = "BTC/USD"


def market(side: str, amount: str, ref: str = "", validate: bool = False) -> OrderRequest:
    return OrderRequest(BTC, side, "market", D(amount), client_ref=ref, validate=validate)  # type: ignore[arg-type]


def snapshot(ex: PaperExchange) -> tuple[object, ...]:
    return (
        ex.fetch_balances(),
        ex.fetch_open_orders(),
        ex.fetch_closed_orders(),
        ex.fetch_my_trades(),
    )


def row_count(db: Engine, table: str) -> int:
    with db.connect() as conn:
        query = select(func.count()).select_from(SQLModel.metadata.tables[table])
        return int(conn.execute(query).scalar_one())


def test_market_round_trip_and_listing(ex: PaperExchange) -> None:
    seen: list[tuple[str, str]] = []
    ex.add_fill_listener(lambda order, fill: seen.append((order.id, fill.id)))
    ex.set_price(BTC, D("30000"), T0)
    buy = ex.create_order(market("buy", "0.1"))
    ex.set_price(BTC, D("31000"), T0 + 1)
    sell = ex.create_order(market("sell", "0.1"))
    assert ex.fetch_balances().total["USD"] == D("10084.14")
    trades = ex.fetch_my_trades()
    assert [t.order_id for t in trades] == [buy.id, sell.id]
    assert seen == [(buy.id, trades[0].id), (sell.id, trades[1].id)]
    assert [o.id for o in ex.fetch_closed_orders()] == [buy.id, sell.id]
    assert ex.fetch_order(buy.id).average_price == D("30000")
    assert ex.fetch_ticker(BTC).last == D("31000")
    assert ex.fee_rate(BTC) == D("0.0026")


def test_open_order_cancel_releases_reservation(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0)
    order = ex.create_order(OrderRequest(BTC, "buy", "limit", D("0.3"), D("29000")))
    assert ex.fetch_balances().free["USD"] < D("2000")
    assert [o.id for o in ex.fetch_open_orders(BTC)] == [order.id]
    assert ex.fetch_open_orders("ETH/USD") == []
    ex.cancel_order(order.id)
    assert ex.fetch_balances().free["USD"] == D("10000")
    assert ex.fetch_order(order.id).status == "canceled"
    with pytest.raises(OrderNotFound, match="EOrder:Unknown order"):
        ex.cancel_order(order.id)


def test_client_ref_is_idempotent(ex: PaperExchange, db: Engine) -> None:
    ex.set_price(BTC, D("30000"), T0)
    first = ex.create_order(market("buy", "0.1", ref="entry-1"))
    again = ex.create_order(market("buy", "0.1", ref="entry-1"))
    assert again == first
    assert ex.find_order_by_client_ref("entry-1") == first
    assert ex.find_order_by_client_ref("missing") is None
    assert ex.fetch_balances().total["BTC"] == D("0.1")
    assert row_count(db, "paper_orders") == 1 and row_count(db, "paper_fills") == 1


def test_validate_changes_nothing(ex: PaperExchange, db: Engine) -> None:
    ex.set_price(BTC, D("30000"), T0)
    before = snapshot(ex)
    checked = ex.create_order(market("buy", "0.1", ref="v-1", validate=True))
    assert checked.validated_only and checked.id == "" and checked.amount == D("0.1")
    assert snapshot(ex) == before
    assert ex.find_order_by_client_ref("v-1") is None
    assert row_count(db, "paper_orders") == 0
    with pytest.raises(InsufficientFunds):
        ex.create_order(market("buy", "1", validate=True))


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (market("buy", "0"), InvalidOrder),
        (market("buy", "0.00001"), InvalidOrder),
        (market("buy", "1"), InsufficientFunds),
        (OrderRequest("XYZ/USD", "buy", "market", D("1")), InvalidOrder),
        (OrderRequest(BTC, "sell", "stop-loss", D("0.1"), D("29000")), InsufficientFunds),
    ],
)
def test_errors_leave_memory_and_database_untouched(
    make_exchange: MakeExchange, request_: OrderRequest, error: type[Exception]
) -> None:
    ex = make_exchange()
    ex.set_price(BTC, D("30000"), T0)
    ex.create_order(market("buy", "0.05"))
    before = snapshot(ex)
    with pytest.raises(error):
        ex.create_order(request_)
    assert snapshot(ex) == before
    assert snapshot(make_exchange()) == before


def test_unknown_ids_and_missing_data(ex: PaperExchange) -> None:
    with pytest.raises(OrderNotFound):
        ex.fetch_order("OAAAAA-BBBBB-CCCCCC")
    with pytest.raises(InvalidOrder, match="no price yet"):
        ex.fetch_ticker(BTC)
    with pytest.raises(InvalidOrder, match="no price yet"):
        ex.create_order(market("buy", "0.1"))
    with pytest.raises(ExchangeUnavailable, match="no market data"):
        ex.fetch_ohlcv(BTC, "1h")


def test_fetch_ohlcv_delegates(make_exchange: MakeExchange) -> None:
    calls: list[tuple[str, str, int | None, int | None]] = []

    def source(pair: str, tf: str, since: int | None, limit: int | None) -> list:  # type: ignore[type-arg]
        calls.append((pair, tf, since, limit))
        return []

    ex = make_exchange(candle_source=source)
    assert ex.fetch_ohlcv(BTC, "4h", 5, 10) == []
    assert calls == [(BTC, "4h", 5, 10)]


def test_since_filters(ex: PaperExchange, clock: object) -> None:
    ex.set_price(BTC, D("30000"), T0)
    ex.create_order(market("buy", "0.01"))
    clock.advance(1000)  # type: ignore[attr-defined]
    later = ex.create_order(market("buy", "0.01"))
    assert [f.order_id for f in ex.fetch_my_trades(T0 + 500)] == [later.id]
    assert [o.id for o in ex.fetch_closed_orders(T0 + 500)] == [later.id]


def test_concurrent_orders_never_overspend(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0)
    refused: list[Exception] = []

    def buyer() -> None:
        for _ in range(5):
            try:
                ex.create_order(market("buy", "0.01"))
            except InsufficientFunds as exc:
                refused.append(exc)

    threads = [threading.Thread(target=buyer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    filled = len(ex.fetch_my_trades())
    assert filled + len(refused) == 40
    assert filled == 33  # 33 x 300.78 fits in 10,000; the 34th does not
    assert ex.fetch_balances().total["USD"] == D("10000") - 33 * D("300.78")


def test_reset(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0)
    old = ex.create_order(market("buy", "0.1"))
    ex.reset({"USD": D("500")})
    assert ex.fetch_balances().total == {"USD": D("500")}
    assert ex.fetch_my_trades() == [] and ex.fetch_closed_orders() == []
    assert ex.create_order(market("buy", "0.01")).id != old.id
