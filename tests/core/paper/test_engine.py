"""The pure engine and its rules, without a database: hand-computed fills, fees, reservations."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from adapters.kraken.names import kraken_altname, kraken_pair_id
from core.domain import InsufficientFunds, InvalidOrder, OrderNotFound, OrderRequest
from core.markets.catalog import known_markets, market_for
from core.paper import rules
from core.paper.engine import PaperEngine, PaperState
from core.paper.ids import make_id
from core.paper.walk import WalkClock, next_stop

D = Decimal
BTC = "BTC/USD"


def make_engine(usd: str = "10000", btc: str = "0") -> PaperEngine:
    state = PaperState(salt="s", balances={"USD": D(usd), "BTC": D(btc)})
    return PaperEngine({BTC: market_for(BTC)}, D("0.0026"), state)


def req(side: str, type_: str, amount: str, price: str | None = None, **kw: object) -> OrderRequest:
    return OrderRequest(
        pair=kw.pop("pair", BTC),  # type: ignore[arg-type]
        side=side,  # type: ignore[arg-type]
        type=type_,  # type: ignore[arg-type]
        amount=D(amount),
        price=None if price is None else D(price),
        **kw,  # type: ignore[arg-type]
    )


def test_market_buy_then_sell_hand_computed() -> None:
    eng = make_engine()
    eng.set_price(BTC, D("30000"), 1)
    order, fill = eng.place(req("buy", "market", "0.1"), 2)
    assert order.status == "closed" and fill is not None
    assert (fill.price, fill.amount, fill.fee) == (D("30000"), D("0.1"), D("7.8"))
    assert eng.balances().total == {"USD": D("6992.2"), "BTC": D("0.1")}
    eng.set_price(BTC, D("31000"), 3)
    _, fill = eng.place(req("sell", "market", "0.1"), 4)
    assert fill is not None and fill.fee == D("8.06")
    assert eng.balances().total == {"USD": D("10084.14"), "BTC": D("0")}


def test_buy_limit_reserves_quote_with_fee() -> None:
    eng = make_engine()
    eng.set_price(BTC, D("30500"), 1)
    order, fill = eng.place(req("buy", "limit", "0.3", "30000"), 2)
    assert order.status == "open" and fill is None
    assert eng.balances().free["USD"] == D("10000") - D("0.3") * D("30000") * D("1.0026")
    with pytest.raises(InsufficientFunds, match="EOrder:Insufficient funds"):
        eng.place(req("buy", "market", "0.05"), 3)


def test_sell_orders_reserve_base() -> None:
    eng = make_engine(btc="0.1")
    eng.set_price(BTC, D("30000"), 1)
    eng.place(req("sell", "stop-loss", "0.1", "29000"), 2)
    assert eng.balances().free["BTC"] == 0 and eng.balances().total["BTC"] == D("0.1")
    with pytest.raises(InsufficientFunds):
        eng.place(req("sell", "take-profit", "0.01", "32000"), 3)


def test_marketable_limit_fills_at_current_price() -> None:
    eng = make_engine()
    eng.set_price(BTC, D("30000"), 1)
    order, fill = eng.place(req("buy", "limit", "0.1", "30100"), 2)
    assert order.status == "closed" and fill is not None and fill.price == D("30000")


def test_rounding_truncates_amount_and_rounds_price() -> None:
    eng = make_engine()
    eng.set_price(BTC, D("30000"), 1)
    order, _ = eng.place(req("buy", "limit", "0.123456789", "29000.06"), 2)
    assert order.amount == D("0.12345678") and order.price == D("29000.1")


@pytest.mark.parametrize(
    ("request_", "error", "text"),
    [
        (req("buy", "market", "0"), InvalidOrder, "EGeneral:Invalid arguments:volume"),
        (req("buy", "market", "-1"), InvalidOrder, "EGeneral:Invalid arguments:volume"),
        (req("buy", "market", "0.000000001"), InvalidOrder, "EGeneral:Invalid arguments:volume"),
        (req("buy", "market", "0.00005"), InvalidOrder, "EOrder:Order minimum not met"),
        (req("buy", "limit", "0.0001", "1000"), InvalidOrder, "EOrder:Order minimum not met"),
        (req("buy", "limit", "0.1"), InvalidOrder, "EGeneral:Invalid arguments:price"),
        (req("buy", "market", "0.1", pair="XYZ/USD"), InvalidOrder, "EQuery:Unknown asset pair"),
        (req("buy", "market", "1"), InsufficientFunds, "EOrder:Insufficient funds"),
        (req("sell", "market", "0.1"), InsufficientFunds, "EOrder:Insufficient funds"),
    ],
)
def test_refusals_change_nothing(request_: OrderRequest, error: type[Exception], text: str) -> None:
    eng = make_engine()
    eng.set_price(BTC, D("30000"), 1)
    eng.take_changes()
    before = (eng.balances(), eng.open_orders(), eng.fills())
    with pytest.raises(error, match=re.escape(text)):
        eng.place(request_, 2)
    assert (eng.balances(), eng.open_orders(), eng.fills()) == before
    assert not eng.has_changes()


def test_market_order_without_price_is_refused() -> None:
    with pytest.raises(InvalidOrder, match="no price yet for BTC/USD"):
        make_engine().place(req("buy", "market", "0.1"), 1)


def test_unknown_order_ids() -> None:
    eng = make_engine()
    with pytest.raises(OrderNotFound, match="EOrder:Unknown order"):
        eng.cancel("OXXXXX-XXXXX-XXXXXX", 1)
    with pytest.raises(OrderNotFound, match="EOrder:Unknown order"):
        eng.order("nope")


@pytest.mark.parametrize(
    ("side", "type_", "level", "price", "fires"),
    [
        ("sell", "stop-loss", "100", "100", True),
        ("sell", "stop-loss", "100", "101", False),
        ("sell", "take-profit", "100", "100", True),
        ("sell", "take-profit", "100", "99", False),
        ("sell", "limit", "100", "101", True),
        ("buy", "stop-loss", "100", "101", True),
        ("buy", "stop-loss", "100", "99", False),
        ("buy", "take-profit", "100", "99", True),
        ("buy", "limit", "100", "99", True),
        ("buy", "limit", "100", "101", False),
    ],
)
def test_trigger_directions(side: str, type_: str, level: str, price: str, fires: bool) -> None:
    assert rules.is_triggered(side, type_, D(level), D(price)) is fires  # type: ignore[arg-type]


def test_ids_look_like_krakens_and_do_not_repeat() -> None:
    ids = {make_id("O", "salt", n) for n in range(1, 2000)}
    assert len(ids) == 1999
    assert all(re.fullmatch(r"O[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}", i) for i in ids)
    assert re.fullmatch(r"T[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}", make_id("T", "salt", 7))


def test_next_stop_moves_in_the_direction_of_the_leg() -> None:
    levels = [D(95), D(90), D(105), D(100)]
    assert next_stop(D(100), D(80), levels) == D(95)
    assert next_stop(D(95), D(80), levels) == D(90)
    assert next_stop(D(90), D(80), levels) == D(80)
    assert next_stop(D(80), D(110), levels) == D(90)
    assert next_stop(D(100), D(110), levels) == D(105)


def test_walk_clock_offsets_and_duration_cap() -> None:
    clock = WalkClock(1000, duration_ms=3)
    assert [clock.next_ts() for _ in range(5)] == [1000, 1001, 1002, 1002, 1002]


def test_catalog_rules() -> None:
    btc = market_for("BTC/USD")
    assert (btc.exchange_id, btc.altname, btc.lot_decimals, btc.pair_decimals) == ("", "", 8, 1)  # rules only
    assert (btc.ordermin, btc.costmin) == (D("0.0001"), D("0.5"))
    assert market_for("ETH/USD").pair_decimals == 2
    assert (kraken_pair_id("ETH/BTC"), kraken_altname("DOGE/USD")) == ("XETHXXBT", "XDGUSD")  # the sim's names
    unknown = market_for("FOO/USD")
    assert (unknown.lot_decimals, unknown.pair_decimals, unknown.ordermin, unknown.costmin) == (
        8, 8, D(0), D(0)
    )
    assert {"BTC/USD", "ETH/USD", "SOL/USD", "ADA/USD", "BTC/USDT", "ETH/BTC"} <= set(known_markets())
