"""The bot-side take-profit watcher: a `core.ports.PriceListener` over open brackets' targets.

Kraken spot cannot hold the take-profit next to the stop (both would reserve the same coins),
so the target lives here. In paper/replay the PaperExchange stops its candle walk at every
level `watch_levels` returns and calls `on_price`; live, `poll_once()` feeds it ticker prices.
At price >= target the exit goes through TradingService (same lock): cancel the stop, confirm,
sell at market.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from loguru import logger

from core.domain import ExchangeError, ExchangeUnavailable
from core.ports import Exchange
from core.trading.commands import TakeProfit
from core.trading.positions import TradeExit
from core.trading.service import TradingService

# How often the live poll reads the stops (one private call): the poll itself runs every 10 s for
# the targets (public tickers); stops are executed by Kraken, booking a fill can wait this long.
STOP_READ_EVERY_S = 30.0


class TakeProfitWatcher:
    def __init__(self, service: TradingService, exchange: Exchange | None = None) -> None:
        self.service = service
        self.exchange = exchange or service.exchange

    def attach(self) -> TakeProfitWatcher:
        """Register with a paper exchange (no-op for exchanges without price listeners)."""
        add = getattr(self.exchange, "add_price_listener", None)
        if callable(add):
            set_lock = getattr(self.exchange, "set_listener_lock", None)
            if callable(set_lock):
                set_lock(self.service.lock)  # on_price takes it: walks must take it first
            add(self)
        return self

    def watch_levels(self, pair: str) -> Sequence[Decimal]:
        return self.service.targets(pair)

    def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        if any(price >= t for t in self.service.targets(pair)):
            self.service.handle(TakeProfit(pair, price, ts_ms))

    def poll_once(self) -> list[TradeExit]:
        """Live/paper-live: book stop fills, then compare each watched pair's last price to its targets."""
        # No trading lock here (issue 19.5): the sync reads every stop before taking it, the
        # tickers are read outside it, and `take_profit` takes it and checks the targets again.
        exits = self.service.sync(full=True, read_every_s=STOP_READ_EVERY_S)
        for pair in sorted({b.pair for b in self.service.brackets() if b.target is not None}):
            try:
                ticker = self.exchange.fetch_ticker(pair)
            except (ExchangeError, ExchangeUnavailable) as exc:
                logger.bind(pair=pair, action="tp_poll").warning("no ticker: {}", exc)
                continue
            if any(ticker.last >= t for t in self.service.targets(pair)):
                exits.extend(self.service.take_profit(pair, ticker.last, ticker.ts_ms))
        return exits
