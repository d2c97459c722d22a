"""The core services shaped as the chat ports of `bot.conversation.services` (built by the root).

Why here and not in the root: each adapter holds a small piece of chat behaviour — the status
cache refreshed right after a money action, Kraken's error code stripped from a price failure,
the pair a bare `backtest SOL` means — and the composition root only wires (issue 18).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from core.config import Settings
from core.domain import Market, UserError, ZynError
from core.kernel.strategies import strategy_named
from core.market_data.store import CandleStore
from core.markets.catalog import market_for
from core.ports import Clock, Exchange, MarketFeed
from core.research.backtest import Backtester
from core.status.service import READ_WAIT_S, StatusService
from core.strategy.mtf import history_needed
from core.strategy.trend_view import TrendView, trend_view
from core.trading.commands import Command, Pause, Resume
from core.trading.no_price import no_price_line
from core.trading.results import TradeResult
from core.trading.service import TradingService
from core.trading.types import ManualOrder, OrderPreview


class SyncedTrading:
    """The trading service as chat sees it. After a money action the status cache is refreshed at
    once (core.status.service: `sync(force=True)` after an order): otherwise `orders` or `positions` right
    after a `yes` would show the account as it was before, for up to a minute."""

    def __init__(self, trading: TradingService, status: StatusService,
                 book: Callable[[str, str, Decimal], str] | None = None) -> None:
        self._trading, self._status = trading, status
        self._book = book  # issue 21: the spread and the book's fill estimate of a market order

    def preview_order(self, req: ManualOrder) -> OrderPreview:
        preview = self._trading.preview_order(req)
        line = self._book(req.pair, req.side, req.amount) if self._book and req.price is None else ""
        return replace(preview, text=f"{preview.text}\n{line}") if line else preview

    def handle(self, cmd: Command) -> TradeResult:
        result = self._trading.handle(cmd)
        if not isinstance(cmd, Pause | Resume):  # the account changed: orders/positions show it now
            # bounded: a reply never waits long on Kraken's rate budget for the status refresh
            self._status.sync(force=True, wait_s=READ_WAIT_S)
        return result


class ExchangeMarket:
    """Prices and lot/price decimals for chat (`price BTC`, `buy $100 of BTC`)."""

    def __init__(self, trading: TradingService, exchange: Exchange) -> None:
        self._trading, self._exchange = trading, exchange

    def _market(self, pair: str) -> Market:
        return self._trading.markets.get(pair) or market_for(pair)

    def price(self, pair: str) -> Decimal:
        try:
            return self._exchange.fetch_ticker(pair).last
        except ZynError as exc:  # "EOrder:no price yet for X" reads badly: no code, no repetition
            if pair not in self._trading.markets:  # "buy 100 EUR of BTC": say so as a coin order does
                traded = ", ".join(sorted(self._trading.markets)) or "nothing"
                raise UserError(f"unknown pair {pair}; I trade {traded}") from None
            raise UserError(no_price_line(pair, str(exc))) from None

    def price_decimals(self, pair: str) -> int:
        return int(self._market(pair).pair_decimals)

    def lot_decimals(self, pair: str) -> int:
        return int(self._market(pair).lot_decimals)


class StoreBacktests:
    """`backtest PAIR` in chat: the pair's history in the candle store up to now (in a replay, up to
    the replay clock: never the future), same code as the CLI."""

    def __init__(self, settings: Settings, clock: Clock, replayed: Callable[[], set[str]],
                 candles: CandleStore) -> None:
        self._settings, self._clock, self._replayed, self._candles = settings, clock, replayed, candles

    def backtest(self, pair: str) -> dict[str, Any]:
        tf = self._settings.timeframe
        pair = self._known(pair)
        candles = self._candles.history(pair, tf, until_ms=self._clock.now_ms())
        if not candles:
            raise UserError(f"no {tf} candles for {pair} here yet (zyn data import PATH adds a candle file)")
        strategy = strategy_named(self._settings.strategy)
        return Backtester(pair, tf, market_for(pair), strategy=strategy).run(candles).summary()

    def _known(self, pair: str) -> str:
        """`backtest SOL` reads as SOL/USD; when Zyn knows SOL only against one other quote (the
        configured pairs, the replay's, the stored ones), that pair is meant."""
        known = set(self._settings.pairs) | self._replayed() | {c.pair for c in self._candles.coverage()}
        if pair in known:
            return pair
        base = pair.split("/", 1)[0]
        same = sorted(p for p in known if p.split("/", 1)[0] == base)
        return same[0] if len(same) == 1 else pair


def trend_source(timeframe: str, feed: MarketFeed | None,
                 confirming: Sequence[str]) -> Callable[[str], TrendView | None] | None:
    """"What is the trend on BTC?": the strategy's indicators and mtf rule on the feed's closed candles."""
    if feed is None:
        return None
    limit = max(60, history_needed(timeframe, confirming))

    def view(pair: str) -> TrendView | None:
        return trend_view(pair, list(feed.closed_candles(pair, timeframe, limit)), timeframe, confirming)

    return view
