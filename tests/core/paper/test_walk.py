"""walk_candle: gaps, sweeps, the take-profit watcher pattern, stop first, re-entrancy."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from core.domain import Candle, Fill, InsufficientFunds, Order, OrderRequest
from core.paper.exchange import PaperExchange
from core.paper.walk import MAX_STOPS_PER_CANDLE
from tests.core.paper.conftest import T0

D = Decimal
BTC = "BTC/USD"


def candle(o: str, h: str, low: str, c: str, ts: int = T0) -> Candle:
    return Candle(ts=ts, open=float(o), high=float(h), low=float(low), close=float(c), volume=1.0)


def long_with_stop(ex: PaperExchange, stop: str, amount: str = "0.1") -> Order:
    ex.set_price(BTC, D("30000"), T0 - 1)
    ex.create_order(OrderRequest(BTC, "buy", "market", D(amount)))
    return ex.create_order(OrderRequest(BTC, "sell", "stop-loss", D(amount), D(stop)))


class TargetWatcher:
    """The bot-side take-profit pattern: at the target, cancel the stop and sell at market."""

    def __init__(self, ex: PaperExchange, target: str, stop: Order) -> None:
        self.ex, self.target, self.stop = ex, D(target), stop
        self.armed = True
        self.sold: list[Order] = []
        self.prices: list[tuple[Decimal, int]] = []
        ex.add_price_listener(self)
        ex.add_fill_listener(self.on_fill)

    def watch_levels(self, pair: str) -> Sequence[Decimal]:
        return [self.target] if self.armed and pair == BTC else []

    def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        self.prices.append((price, ts_ms))
        if self.armed and price >= self.target:
            self.armed = False
            self.ex.cancel_order(self.stop.id)
            self.sold.append(self.ex.create_order(OrderRequest(BTC, "sell", "market", self.stop.amount)))

    def on_fill(self, order: Order, fill: Fill) -> None:
        if order.id == self.stop.id:
            self.armed = False


def last_fill(ex: PaperExchange) -> Fill:
    return ex.fetch_my_trades()[-1]


def test_stop_gap_fills_at_open(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    ex.walk_candle(BTC, candle("28500", "29500", "28000", "29000"))
    fill = last_fill(ex)
    assert (fill.order_id, fill.price, fill.ts_ms) == (stop.id, D("28500"), T0)
    assert ex.fetch_order(stop.id).status == "closed"
    assert ex.fetch_balances().total["BTC"] == 0


def test_stop_sweep_fills_at_stop_level(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    usd = ex.fetch_balances().total["USD"]
    ex.walk_candle(BTC, candle("30000", "30100", "28800", "29900"))
    fill = last_fill(ex)
    assert (fill.order_id, fill.price, fill.ts_ms) == (stop.id, D("29000"), T0 + 1)
    assert fill.fee == D("0.1") * D("29000") * D("0.0026")
    assert ex.fetch_balances().total["USD"] == usd + D("2900") - fill.fee
    assert ex.fetch_ticker(BTC).last == D("29900")


def test_stop_not_touched_stays_open(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    ex.walk_candle(BTC, candle("30000", "30500", "29000.5", "30200"))
    assert ex.fetch_order(stop.id).status == "open"


def test_watcher_sells_at_exactly_its_level(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    watcher = TargetWatcher(ex, "31234.5", stop)
    ex.walk_candle(BTC, candle("30000", "31500", "29900", "31000"))
    assert len(watcher.sold) == 1 and watcher.sold[0].average_price == D("31234.5")
    assert ex.fetch_order(stop.id).status == "canceled"
    assert ex.fetch_balances().total["BTC"] == 0
    levels = [p for p, _ in watcher.prices]
    assert levels == [D("30000"), D("29900"), D("31234.5"), D("31500"), D("31000")]
    assert [ts for _, ts in watcher.prices] == [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]


def test_watcher_gap_sells_at_open(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    watcher = TargetWatcher(ex, "31000", stop)
    ex.walk_candle(BTC, candle("32000", "32500", "31800", "32100"))
    assert watcher.sold[0].average_price == D("32000")


def test_stop_first_when_candle_touches_both(ex: PaperExchange) -> None:
    stop = long_with_stop(ex, "29000")
    watcher = TargetWatcher(ex, "31000", stop)
    ex.walk_candle(BTC, candle("30000", "31500", "28900", "31200"))
    assert watcher.sold == []
    assert [(f.order_id, f.price) for f in ex.fetch_my_trades()[1:]] == [(stop.id, D("29000"))]


def test_limit_orders_fill_at_level_or_better_open(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0 - 1)
    buy = ex.create_order(OrderRequest(BTC, "buy", "limit", D("0.1"), D("29500")))
    ex.walk_candle(BTC, candle("29800", "30000", "29000", "29900"))
    assert ex.fetch_order(buy.id).average_price == D("29500")
    sell = ex.create_order(OrderRequest(BTC, "sell", "limit", D("0.1"), D("30500")))
    ex.walk_candle(BTC, candle("30700", "30800", "30600", "30650", T0 + 3_600_000))
    assert ex.fetch_order(sell.id).average_price == D("30700")


class Trailer:
    """Re-entrancy: places a stop (and reads balances) from inside on_price."""

    def __init__(self, ex: PaperExchange, at: str, stop: str) -> None:
        self.ex, self.at, self.stop = ex, D(at), D(stop)
        self.placed: Order | None = None
        self.errors: list[Exception] = []

    def watch_levels(self, pair: str) -> Sequence[Decimal]:
        return []

    def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        if self.placed is None and price == self.at:
            assert self.ex.fetch_balances().free["BTC"] == D("0.1")
            self.placed = self.ex.create_order(OrderRequest(BTC, "sell", "stop-loss", D("0.1"), self.stop))
        try:
            self.ex.walk_candle(BTC, candle("1", "1", "1", "1"))
        except RuntimeError as exc:
            self.errors.append(exc)


def test_stop_placed_by_listener_is_matched_later_in_the_path(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0 - 1)
    ex.create_order(OrderRequest(BTC, "buy", "market", D("0.1")))
    trailer = Trailer(ex, "31000", "30800")
    ex.add_price_listener(trailer)
    ex.walk_candle(BTC, candle("30000", "31000", "29800", "30500"))
    assert trailer.placed is not None
    placed = ex.fetch_order(trailer.placed.id)
    assert (placed.status, placed.average_price) == ("closed", D("30800"))
    assert trailer.errors and "not re-entrant" in str(trailer.errors[0])


def test_market_order_from_listener_fills_at_current_level(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0 - 1)
    bought: list[Order] = []

    class DipBuyer:
        def watch_levels(self, pair: str) -> Sequence[Decimal]:
            return [D("29123.4")]

        def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
            if price == D("29123.4") and not bought:
                bought.append(ex.create_order(OrderRequest(BTC, "buy", "market", D("0.1"))))

    ex.add_price_listener(DipBuyer())
    ex.walk_candle(BTC, candle("30000", "30100", "29000", "29500"))
    assert bought[0].average_price == D("29123.4")
    assert ex.fetch_my_trades()[0].ts_ms == T0 + 1


def test_listener_inventing_levels_cannot_loop_forever(ex: PaperExchange) -> None:
    calls: list[Decimal] = []

    class Greedy:
        def watch_levels(self, pair: str) -> Sequence[Decimal]:
            last = calls[-1] if calls else D("30000")
            return [last - D("0.00000001")]

        def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
            calls.append(price)

    ex.add_price_listener(Greedy())
    ex.walk_candle(BTC, candle("30000", "30100", "29000", "29500"))
    assert MAX_STOPS_PER_CANDLE <= len(calls) <= MAX_STOPS_PER_CANDLE + 5
    assert calls[-1] == D("29500")


def test_triggered_buy_stop_without_funds_is_canceled(ex: PaperExchange) -> None:
    ex.set_price(BTC, D("30000"), T0 - 1)
    stop = ex.create_order(OrderRequest(BTC, "buy", "stop-loss", D("0.33"), D("30100")))
    assert ex.fetch_balances().free["USD"] < D("100")
    ex.walk_candle(BTC, candle("31000", "31100", "30900", "31000"))  # gap: 0.33 x 31000 > 10000
    assert ex.fetch_order(stop.id).status == "canceled"
    assert ex.fetch_balances().total == {"USD": D("10000")}
    with pytest.raises(InsufficientFunds):
        ex.create_order(OrderRequest(BTC, "buy", "market", D("1")))
