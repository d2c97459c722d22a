"""A market feed that keeps every closed candle it hands out in the candle store.

Why a wrapper: "every candle Zyn fetches is kept" without touching each reader (the autopilot,
the modules, the ATR fallback all ask the feed). Only candles newer than the last one kept for
that pair and timeframe are written, so a poll that returns the same 200 candles writes one row.
A store that cannot write (disk full, database locked) is logged and skipped: keeping history
must never stop trading.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from loguru import logger

from core.domain import Candle
from core.market_data.store import CandleStore
from core.ports import MarketFeed

log = logger.bind(component="candle_store")


class StoringFeed:
    """`core.ports.MarketFeed` over another feed; closed candles go to `store` as they are read."""

    def __init__(self, feed: MarketFeed, store: CandleStore) -> None:
        self._feed, self._store = feed, store
        self._kept: dict[tuple[str, str], int] = {}  # (pair, timeframe) -> newest stored open time
        self._lock = threading.Lock()

    def pairs(self) -> Sequence[str]:
        return self._feed.pairs()

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        candles = self._feed.closed_candles(pair, timeframe, limit)
        self._keep(pair, timeframe, candles)
        return candles

    def last_price(self, pair: str) -> float | None:
        return self._feed.last_price(pair)

    def _keep(self, pair: str, timeframe: str, candles: list[Candle]) -> None:
        key = (pair, timeframe)
        with self._lock:
            newest = self._kept.get(key, -1)
            fresh = [c for c in candles if c.ts > newest]
            if not fresh:
                return
            try:
                self._store.add(pair, timeframe, fresh)
            except Exception as exc:  # history is a convenience here: the candles still go to the caller
                log.bind(pair=pair, timeframe=timeframe, error=type(exc).__name__).warning(
                    "candles for {} {} not kept: {}", pair, timeframe, str(exc)[:160])
                return
            self._kept[key] = fresh[-1].ts
