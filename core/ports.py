"""The small interfaces core needs from the outside world; adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain import Balances, Candle, Event, Fill, Market, Order, OrderRequest, Ticker


class Clock(Protocol):
    """Where 'now' comes from: the wall clock live, simulated time in replay and tests."""

    def now_ms(self) -> int: ...

    def now(self) -> datetime: ...


class Exchange(Protocol):
    """A spot exchange account. Pairs are `BASE/QUOTE`; assets use common names (BTC, USD)."""

    name: str

    def load_markets(self) -> dict[str, Market]: ...

    def fetch_balances(self) -> Balances: ...

    def fetch_ticker(self, pair: str) -> Ticker: ...

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since_ms: int | None = None, limit: int | None = None
    ) -> list[Candle]: ...

    def create_order(self, request: OrderRequest) -> Order: ...

    def cancel_order(self, order_id: str) -> None: ...

    def fetch_order(self, order_id: str) -> Order: ...

    def fetch_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Many orders in one read (Kraken: one QueryOrders for up to 50 txids); ids the
        exchange does not know are simply absent from the answer (issue 19: one call per sync
        for every stop, whatever the number of positions)."""
        ...

    def find_order_by_client_ref(self, client_ref: str) -> Order | None: ...

    def fetch_open_orders(self, pair: str | None = None) -> list[Order]: ...

    def fetch_closed_orders(self, since_ms: int | None = None) -> list[Order]: ...

    def fetch_my_trades(self, since_ms: int | None = None) -> list[Fill]: ...

    def fee_rate(self, pair: str) -> Decimal: ...


class MarketFeed(Protocol):
    """Closed candles and the latest price, live from an exchange or replayed from CSV."""

    def pairs(self) -> Sequence[str]: ...

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]: ...

    def last_price(self, pair: str) -> float | None: ...


class PriceListener(Protocol):
    """Watches prices as they move (the bot-side take-profit watcher is one).

    `watch_levels` tells a simulated exchange which prices to stop at while it walks a candle's
    path, so the listener sees the exact moment a level is crossed, as it would live.
    """

    def watch_levels(self, pair: str) -> Sequence[Decimal]: ...

    def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None: ...


class Notifier(Protocol):
    def notify(self, event: Event) -> None: ...
