"""An in-memory `core.ports.Exchange` for unit tests: small, but it behaves like Kraken spot.

Why a fake and not the paper exchange: unit tests of the status service (and others) need to
count calls, make the exchange fail on demand and set balances/fills directly, without a
matching engine or a database. What it keeps faithful: common asset names, open sell orders
reserve base and open buy limits reserve quote (so `free` < `total`), Kraken's error strings,
validate-only orders, client references, fees in quote. Market orders fill at once at the
ticker's last price; resting orders stay open until a test calls `fill_order`.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from core.domain import (
    Balances,
    Candle,
    ExchangeError,
    ExchangeUnavailable,
    Fill,
    InsufficientFunds,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    OrderRequest,
    Ticker,
)
from core.ports import Clock


class MemoryExchange:
    """Balances, orders, fills and tickers in dicts. `calls` counts every port method call.

    `fail_with` (an exception instance) makes every port call raise it — set it to simulate an
    outage; `fail_methods` restricts the failure to those method names.
    """

    name = "memory"

    def __init__(
        self,
        balances: dict[str, Decimal | int | str] | None = None,
        clock: Clock | None = None,
        fee: Decimal = Decimal("0.0026"),
        markets: Iterable[str] = ("BTC/USD", "ETH/USD"),
    ) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._fee = fee
        self.balances: dict[str, Decimal] = {a: Decimal(str(v)) for a, v in (balances or {}).items()}
        self.markets = {p: Market(pair=p, base=p.split("/")[0], quote=p.split("/")[1]) for p in markets}
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.tickers: dict[str, Ticker] = {}
        self.candles: dict[str, list[Candle]] = {}
        self.calls: Counter[str] = Counter()
        self.fail_with: BaseException | None = None
        self.fail_methods: set[str] | None = None
        self._ids = itertools.count(1)

    # -- test helpers -------------------------------------------------------------------------
    def now_ms(self) -> int:
        return self._clock.now_ms() if self._clock is not None else 0

    def set_price(self, pair: str, last: Decimal | int | str, ts_ms: int | None = None) -> None:
        p = Decimal(str(last))
        with self._lock:
            self.tickers[pair] = Ticker(pair, p, p, p, self.now_ms() if ts_ms is None else ts_ms)

    def add_fill(
        self, pair: str, side: str, amount: Decimal | str, price: Decimal | str,
        fee: Decimal | str = "0", ts_ms: int = 0, order_id: str | None = None,
        move_balances: bool = False,
    ) -> Fill:
        """Record an execution (optionally moving balances as the exchange would)."""
        with self._lock:
            n = next(self._ids)
            fill = Fill(
                id=f"T{n}", order_id=order_id or f"O{n}", pair=pair,
                side="buy" if side == "buy" else "sell", amount=Decimal(str(amount)),
                price=Decimal(str(price)), fee=Decimal(str(fee)), ts_ms=ts_ms,
            )
            self.fills.append(fill)
            if move_balances:
                self._settle(fill)
            return fill

    def fill_order(self, order_id: str, price: Decimal | str | None = None) -> Fill:
        """Execute a resting order completely at `price` (default: its own price)."""
        with self._lock:
            o = self._get(order_id)
            if o.status != "open":
                raise OrderNotFound("EOrder:Unknown order")
            px = Decimal(str(price)) if price is not None else (o.price or self._last(o.pair))
            fee = (o.amount * px * self._fee).quantize(Decimal("0.00000001"))
            fill = self.add_fill(o.pair, o.side, o.amount, px, fee, self.now_ms(), o.id, move_balances=True)
            self.orders[o.id] = replace(
                o, status="closed", filled=o.amount, average_price=px, fee=fee, closed_ms=fill.ts_ms
            )
            return fill

    # -- the port -----------------------------------------------------------------------------
    def _call(self, method: str) -> None:
        self.calls[method] += 1
        if self.fail_with is not None and (self.fail_methods is None or method in self.fail_methods):
            raise self.fail_with

    def load_markets(self) -> dict[str, Market]:
        self._call("load_markets")
        return dict(self.markets)

    def fetch_balances(self) -> Balances:
        with self._lock:
            self._call("fetch_balances")
            return self._balances_now()

    def fetch_ticker(self, pair: str) -> Ticker:
        with self._lock:
            self._call("fetch_ticker")
            if pair not in self.tickers:
                raise ExchangeError("EQuery:Unknown asset pair")
            return self.tickers[pair]

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since_ms: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        self._call("fetch_ohlcv")
        rows = [c for c in self.candles.get(pair, []) if since_ms is None or c.ts >= since_ms]
        return rows[-limit:] if limit else rows

    def create_order(self, request: OrderRequest) -> Order:
        with self._lock:
            self._call("create_order")
            self._check(request)
            oid = f"O{next(self._ids)}"
            order = Order(
                id=oid, pair=request.pair, side=request.side, type=request.type,
                amount=request.amount, price=request.price, status="open",
                client_ref=request.client_ref, created_ms=self.now_ms(),
                validated_only=request.validate,
            )
            if request.validate:
                return order
            self.orders[oid] = order
            if request.type == "market":
                self.fill_order(oid, self._last(request.pair))
            return self.orders[oid]

    def cancel_order(self, order_id: str) -> None:
        with self._lock:
            self._call("cancel_order")
            o = self._get(order_id)
            if o.status != "open":
                raise OrderNotFound("EOrder:Unknown order")
            self.orders[order_id] = replace(o, status="canceled", closed_ms=self.now_ms())

    def fetch_order(self, order_id: str) -> Order:
        with self._lock:
            self._call("fetch_order")
            return self._get(order_id)

    def fetch_orders(self, order_ids: Iterable[str]) -> dict[str, Order]:
        with self._lock:
            self._call("fetch_orders")
            return {i: self.orders[i] for i in order_ids if i in self.orders}

    def find_order_by_client_ref(self, client_ref: str) -> Order | None:
        with self._lock:
            self._call("find_order_by_client_ref")
            return next((o for o in self.orders.values() if o.client_ref == client_ref), None)

    def fetch_open_orders(self, pair: str | None = None) -> list[Order]:
        with self._lock:
            self._call("fetch_open_orders")
            return [o for o in self.orders.values() if o.status == "open" and pair in (None, o.pair)]

    def fetch_closed_orders(self, since_ms: int | None = None) -> list[Order]:
        with self._lock:
            self._call("fetch_closed_orders")
            return [
                o for o in self.orders.values()
                if o.status != "open" and (since_ms is None or (o.closed_ms or 0) >= since_ms)
            ]

    def fetch_my_trades(self, since_ms: int | None = None) -> list[Fill]:
        with self._lock:
            self._call("fetch_my_trades")
            return [f for f in self.fills if since_ms is None or f.ts_ms >= since_ms]

    def fee_rate(self, pair: str) -> Decimal:
        return self._fee

    # -- internals ----------------------------------------------------------------------------
    def _get(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise OrderNotFound("EOrder:Unknown order")
        return self.orders[order_id]

    def _last(self, pair: str) -> Decimal:
        if pair not in self.tickers:
            raise InvalidOrder(f"no price for {pair}")
        return self.tickers[pair].last

    def _check(self, r: OrderRequest) -> None:
        if r.pair not in self.markets:
            raise ExchangeError("EQuery:Unknown asset pair")
        if r.amount <= 0:
            raise InvalidOrder("EGeneral:Invalid arguments:volume")
        if r.type != "market" and (r.price is None or r.price <= 0):
            raise InvalidOrder("EGeneral:Invalid arguments:price")
        free = self._balances_now().free
        base, quote = r.pair.split("/")
        if r.side == "sell" and free.get(base, Decimal(0)) < r.amount:
            raise InsufficientFunds("EOrder:Insufficient funds")
        if r.side == "buy":
            px = r.price if r.type != "market" and r.price is not None else self._last(r.pair)
            if free.get(quote, Decimal(0)) < r.amount * px * (1 + self._fee):
                raise InsufficientFunds("EOrder:Insufficient funds")

    def _balances_now(self) -> Balances:
        """Totals, and free = totals minus what open orders reserve (as on Kraken spot)."""
        reserved: dict[str, Decimal] = {}
        for o in self.orders.values():
            if o.status != "open":
                continue
            base, quote = o.pair.split("/")
            if o.side == "sell":
                reserved[base] = reserved.get(base, Decimal(0)) + o.amount
            elif o.price is not None:
                reserved[quote] = reserved.get(quote, Decimal(0)) + o.amount * o.price * (1 + self._fee)
        total = dict(self.balances)
        free = {a: v - reserved.get(a, Decimal(0)) for a, v in total.items()}
        return Balances(total=total, free=free)

    def _settle(self, f: Fill) -> None:
        base, quote = f.pair.split("/")
        sign = Decimal(1) if f.side == "buy" else Decimal(-1)
        self.balances[base] = self.balances.get(base, Decimal(0)) + sign * f.amount
        self.balances[quote] = self.balances.get(quote, Decimal(0)) - sign * f.amount * f.price - f.fee


__all__ = ["MemoryExchange", "ExchangeUnavailable"]
