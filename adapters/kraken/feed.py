"""Live public market data from Kraken as a `core.ports.MarketFeed`.

Why drop the last candle: Kraken's OHLC always ends with the candle that is still forming; the
strategy decides on closed candles only, so any candle whose close time (open + timeframe) is
after the clock's now is removed. Gaps (hours without trades) are left as they are.
Works over a `KrakenExchange` (retries + circuit breaker) or a bare `ccxt.kraken`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ccxt
from loguru import logger

from adapters.kraken.guard import own_decimal_context
from adapters.kraken.mapping import candle_from_row
from core.domain import Candle, ExchangeError, ExchangeUnavailable
from core.markets.timeframes import timeframe_ms
from core.ports import Clock, Exchange

log = logger.bind(component="kraken_feed")


class KrakenPublicFeed:
    """Closed candles and last prices for `pairs` (BASE/QUOTE)."""

    def __init__(self, exchange_or_ccxt: Exchange | Any, clock: Clock, pairs: Sequence[str] = ()) -> None:
        self._source: Any = exchange_or_ccxt
        self._raw = isinstance(exchange_or_ccxt, ccxt.Exchange)
        self._clock = clock
        self._pairs = tuple(pairs)
        self._last: dict[str, float] = {}

    def pairs(self) -> Sequence[str]:
        return self._pairs

    @property
    def client(self) -> Any | None:
        """The key-less ccxt client underneath (paper on live prices), else None (an account's
        exchange: its guard and budget are reached through it, not around it)."""
        return self._source if self._raw else None

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Up to `limit` most recent CLOSED candles, oldest first (Kraken keeps at most 720)."""
        tf_ms = timeframe_ms(timeframe)
        candles = self._fetch(pair, timeframe)
        now = self._clock.now_ms()
        closed = [c for c in candles if c.ts + tf_ms <= now]
        if closed:
            self._last[pair] = closed[-1].close
        return closed[-limit:] if limit > 0 else []

    def last_price(self, pair: str) -> float | None:
        """The latest traded price, or the last one we saw when Kraken cannot be reached."""
        try:
            price = self._ticker_last(pair)
        except (ExchangeUnavailable, ExchangeError, ccxt.BaseError) as exc:
            log.bind(pair=pair).warning("last price for {} unavailable: {}", pair, exc)
            return self._last.get(pair)
        if price is not None:
            self._last[pair] = price
        return price if price is not None else self._last.get(pair)

    def _fetch(self, pair: str, timeframe: str) -> list[Candle]:
        if not self._raw:
            return list(self._source.fetch_ohlcv(pair, timeframe))
        try:
            rows = own_decimal_context(lambda: self._source.fetch_ohlcv(pair, timeframe))()
        except ccxt.NetworkError as exc:
            raise ExchangeUnavailable(f"Kraken OHLC unavailable: {type(exc).__name__}") from None
        except ccxt.BaseError as exc:
            raise ExchangeError(f"Kraken OHLC refused: {type(exc).__name__}") from None
        return [candle_from_row(r) for r in rows]

    def _ticker_last(self, pair: str) -> float | None:
        if not self._raw:
            return float(self._source.fetch_ticker(pair).last)
        t = own_decimal_context(lambda: self._source.fetch_ticker(pair))()
        return float(t["last"]) if t.get("last") is not None else None
