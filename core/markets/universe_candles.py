"""A universe source over local candles (paper replay): the exchange's markets + the feed.

Why: in paper replay there is no Kraken to ask; the same filters run on what the candles say —
price = the last closed candle's close, 24h volume = the base volume of the last day's candles.
A candle feed has no order book, so there is no spread here (the spread filter passes).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.domain import Market, ZynError
from core.markets.timeframes import timeframe_ms
from core.markets.universe import PairStats
from core.ports import MarketFeed

DAY_MS = 86_400_000


class CandleUniverseSource:
    def __init__(self, markets: Mapping[str, Market], feed: MarketFeed, timeframe: str) -> None:
        self._markets, self._feed, self._tf = markets, feed, timeframe
        self._per_day = max(1, DAY_MS // timeframe_ms(timeframe))

    def pair_stats(self) -> list[PairStats]:
        out: list[PairStats] = []
        for pair, market in sorted(self._markets.items()):
            try:
                day = self._feed.closed_candles(pair, self._tf, self._per_day)
            except ZynError:
                day = []
            last = day[-1].close if day else None
            volume = sum(c.volume for c in day) if day else None
            out.append(PairStats(pair, market.quote, True, last, None, None, volume))
        return out
