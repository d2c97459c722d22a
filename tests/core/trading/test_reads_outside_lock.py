"""The exchange is read without the trading lock (issue 18): the autopilot's tick reads balances
and prices, the start-up reconcile reads its orders, and the sync reads the entries it settles and
what re-placing a stop needs, before they take the lock; the lock covers deciding and sending. A
reading made stale by an action that landed meanwhile is read again under the lock."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from core.domain import Balances, Candle, Order
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.trading.autopilot import Autopilot
from core.trading.commands import CancelOrders, PlaceManualOrder
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_autopilot import HOUR, PAIR, cross_up_candles

ETH = "ETH/USD"


def lock_is_free(service: TradingService) -> bool:
    """Whether another thread can take the trading lock right now (it is not held by the caller)."""
    if service.lock._is_owned():  # type: ignore[attr-defined]  # CPython's RLock says so
        # held by this very thread, which waits below: the probe could only time out (2 s each time)
        return False
    got: list[bool] = []

    def probe() -> None:
        ok = service.lock.acquire(timeout=2)
        if ok:
            service.lock.release()
        got.append(ok)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return got[0]


class WatchedExchange:
    """The paper exchange; each balance/order read records whether the trading lock was free."""

    def __init__(self, inner: PaperExchange) -> None:
        self.inner = inner
        self.service: TradingService | None = None
        self.balance_reads: list[bool] = []
        self.order_reads: list[bool] = []
        self.on_first_balance_read: Any = None
        self.on_first_order_read: Any = None
        self.locked_reads: list[tuple[str, str]] = []  # (method, order id) read while this thread held the lock

    def _owned(self) -> bool:
        assert self.service is not None
        return bool(self.service.lock._is_owned())  # type: ignore[attr-defined]  # CPython's RLock says so

    def _free(self) -> bool:
        assert self.service is not None
        return lock_is_free(self.service)

    def fetch_balances(self) -> Balances:
        if self._owned():
            self.locked_reads.append(("fetch_balances", ""))
        read = self.inner.fetch_balances()
        if self.balance_reads:
            return read  # later reads are not probed (they may hold the lock)
        self.balance_reads.append(self._free())
        if self.on_first_balance_read is not None:
            self.on_first_balance_read()  # after the read: what it returns is stale now
        return read

    def fetch_order(self, order_id: str) -> Order:
        if self._owned():
            self.locked_reads.append(("fetch_order", order_id))
        if self.order_reads:
            return self.inner.fetch_order(order_id)  # later reads are not probed (they may hold the lock)
        self.order_reads.append(self._free())
        read = self.inner.fetch_order(order_id)
        if self.on_first_order_read is not None:
            self.on_first_order_read()  # after the read: what it returns is stale now
        return read

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def watched_service(markets: tuple[str, ...], start_ms: int) -> tuple[TradingService, WatchedExchange, PaperExchange]:
    stack = build_stack({p: market_for(p) for p in markets}, start_ms=start_ms)
    watched = WatchedExchange(stack.exchange)
    service = TradingService(watched, stack.db, stack.clock, pairs=markets,  # type: ignore[arg-type]
                             markets={p: market_for(p) for p in markets}, start_equity=10000.0,
                             sleep=lambda _s: None)
    watched.service = service
    return service, watched, stack.exchange


def test_the_tick_reads_balances_and_prices_without_the_trading_lock() -> None:
    candles = cross_up_candles()
    service, watched, exchange = watched_service((PAIR,), candles[-1].ts + HOUR)
    exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    row = Autopilot(service, timeframe="1h").tick(PAIR, candles)
    assert row.action == "enter", row.reason
    assert watched.balance_reads[0] is True  # another thread could have taken the lock meanwhile


def test_a_reading_made_stale_by_a_chat_order_is_read_again_under_the_lock() -> None:
    candles = cross_up_candles()
    start = candles[-1].ts + HOUR
    service, watched, exchange = watched_service((PAIR, ETH), start)
    exchange.set_price(PAIR, Decimal("105"), start)
    exchange.set_price(ETH, Decimal("2000"), start)
    bought = ManualOrder("buy", Decimal("1"), ETH, stop=Decimal("1900"))
    cash_after: list[Decimal] = []

    def chat_buys_meanwhile() -> None:  # on the autopilot's thread, between its read and its lock
        assert service.handle(PlaceManualOrder(bought)).ok
        cash_after.append(exchange.fetch_balances().total["USD"])

    watched.on_first_balance_read = chat_buys_meanwhile
    row = Autopilot(service, timeframe="1h", pairs=(PAIR,)).tick(PAIR, candles)
    [cash] = cash_after
    assert cash < Decimal(8000)  # 2,000 USD and the fee went into the ETH
    # the equity counts the ETH bought meanwhile at its price, and the cash left after the fee:
    # the reading taken before the buy (10,000 USD, no ETH) was discarded
    assert row.equity == float(cash + Decimal(2000)) and row.equity < 10_000


def test_reconcile_reads_the_orders_before_it_takes_the_lock() -> None:
    service, watched, exchange = watched_service((PAIR,), 1_700_000_000_000)
    exchange.set_price(PAIR, Decimal("30000"), 1_700_000_000_000)
    assert service.handle(PlaceManualOrder(ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000")))).ok
    watched.order_reads.clear()
    report = Reconciler(service).run()
    assert report.problems == [] and watched.order_reads == [True]
    [bracket] = service.brackets(PAIR)
    assert exchange.fetch_order(bracket.stop_order_id).status == "open"


def test_sync_settles_a_filled_limit_entry_from_a_reading_taken_without_the_lock() -> None:
    t0 = 1_700_000_000_000
    service, watched, exchange = watched_service((PAIR,), t0)
    exchange.set_price(PAIR, Decimal("30000"), t0)
    limit = ManualOrder("buy", Decimal("0.01"), PAIR, price=Decimal("29500"), stop=Decimal("29000"))
    placed = service.handle(PlaceManualOrder(limit))
    assert placed.ok and not service.brackets(PAIR), placed
    exchange.walk_candle(PAIR, Candle(t0, 30000, 30000, 29400, 29800, 1))  # the limit fills on the way down
    watched.order_reads.clear()
    watched.locked_reads.clear()
    service.sync()
    assert watched.order_reads == [True]  # the entry's order was read with the lock free, and only then
    assert ("fetch_order", placed.order_id) not in watched.locked_reads
    [bracket] = service.brackets(PAIR)
    assert bracket.amount == Decimal("0.01") and bracket.stop_order_id
    [stop] = exchange.fetch_open_orders()
    assert stop.id == bracket.stop_order_id and stop.amount == Decimal("0.01")


def test_an_entry_reading_made_stale_by_a_cancel_is_not_used_and_nothing_is_doubled() -> None:
    t0 = 1_700_000_000_000
    service, watched, exchange = watched_service((PAIR,), t0)
    exchange.set_price(PAIR, Decimal("30000"), t0)
    limit = ManualOrder("buy", Decimal("0.01"), PAIR, price=Decimal("29500"), stop=Decimal("29000"))
    placed = service.handle(PlaceManualOrder(limit))
    exchange.walk_candle(PAIR, Candle(t0, 30000, 30000, 29400, 29800, 1))
    watched.order_reads.clear()
    canceled: list[bool] = []

    def owner_cancels_meanwhile() -> None:  # between the sync's read and its lock: the cancel brackets the fill
        canceled.append(service.handle(CancelOrders(placed.order_id)).ok)

    watched.on_first_order_read = owner_cancels_meanwhile
    service.sync()
    assert canceled == [True] and watched.order_reads == [True]
    [bracket] = service.brackets(PAIR)  # one position, one stop: the stale reading bracketed nothing twice
    [stop] = exchange.fetch_open_orders()
    assert stop.id == bracket.stop_order_id and stop.amount == bracket.amount == Decimal("0.01")


def test_a_stop_canceled_behind_zyns_back_is_replaced_from_balances_read_without_the_lock() -> None:
    t0 = 1_700_000_000_000
    service, watched, exchange = watched_service((PAIR,), t0)
    exchange.set_price(PAIR, Decimal("30000"), t0)
    assert service.handle(PlaceManualOrder(ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000")))).ok
    [bracket] = service.brackets(PAIR)
    exchange.cancel_order(bracket.stop_order_id)  # gone on the exchange, Zyn not told
    watched.balance_reads.clear()
    watched.locked_reads.clear()
    service.sync(full=True)
    assert watched.balance_reads == [True]  # what re-placing the stop needs was read with the lock free
    assert watched.locked_reads == []  # ... and nothing was read again under it
    [again] = service.brackets(PAIR)
    [stop] = exchange.fetch_open_orders()
    assert again.stop_order_id == stop.id != bracket.stop_order_id and stop.amount == Decimal("0.01")
