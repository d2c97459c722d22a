"""The exchange is read without the trading lock (issue 18): the autopilot's tick reads balances
and prices, and the start-up reconcile reads its orders, before they take the lock; the lock
covers deciding and sending. A reading made stale by an action that landed meanwhile is read
again under the lock."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from core.domain import Balances, Order
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.trading.autopilot import Autopilot
from core.trading.commands import PlaceManualOrder
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_autopilot import HOUR, PAIR, cross_up_candles

ETH = "ETH/USD"


def lock_is_free(service: TradingService) -> bool:
    """Whether another thread can take the trading lock right now (it is not held by the caller)."""
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

    def _free(self) -> bool:
        assert self.service is not None
        return lock_is_free(self.service)

    def fetch_balances(self) -> Balances:
        read = self.inner.fetch_balances()
        if self.balance_reads:
            return read  # later reads are not probed (they may hold the lock)
        self.balance_reads.append(self._free())
        if self.on_first_balance_read is not None:
            self.on_first_balance_read()  # after the read: what it returns is stale now
        return read

    def fetch_order(self, order_id: str) -> Order:
        if not self.order_reads:
            self.order_reads.append(self._free())
        return self.inner.fetch_order(order_id)

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
