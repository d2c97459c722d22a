"""Candles from a trade tape (Kraken's public Trades, paged oldest first), for the backfill.

Why: Kraken's OHLC answers only the newest 720 candles; older history exists only as trades.
Trades arrive page by page in time order, so a bucket is complete once a trade of a LATER bucket
has been seen: `TradeCandles.feed` returns the candles completed so far and keeps the open one
for the next page. An interval without trades makes no candle (as Kraken's own OHLC).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.domain import Candle
from core.markets.timeframes import bucket_start


class TradeCandles:
    """Aggregates (time ms, price, volume) trades into candles of `tf_ms`, bucket by bucket."""

    def __init__(self, tf_ms: int) -> None:
        self._tf = tf_ms
        self._open: Candle | None = None

    def feed(self, trades: Iterable[tuple[int, float, float]]) -> list[Candle]:
        """Add trades (time-ordered); returns the candles whose bucket ended before the last trade."""
        done: list[Candle] = []
        for ts_ms, price, volume in trades:
            start = bucket_start(ts_ms, self._tf)
            cur = self._open
            if cur is not None and start < cur.ts:
                continue  # out of order (a repeated page edge): already counted
            if cur is None or start > cur.ts:
                if cur is not None:
                    done.append(cur)
                self._open = Candle(start, price, price, price, price, volume)
                continue
            self._open = Candle(cur.ts, cur.open, max(cur.high, price), min(cur.low, price), price,
                                cur.volume + volume)
        return done

    def pending(self) -> Candle | None:
        """The bucket still open (complete only once a later trade, or its end, has passed)."""
        return self._open
