"""ATR14 for sizing a stop when the autopilot has not computed one yet.

Why: a chat order without `sl` gets its stop from ATR14 of the trading timeframe. The autopilot
knows ATR only for pairs it has ticked in this process, so a fresh process (or a pair the
autopilot does not trade) answered "the ATR is not known yet". Whoever owns the money asks the
market for recent closed candles instead (the feed, else the exchange's OHLC), computes the
same Wilder ATR14 the strategy uses, and keeps it for a minute. Only when there are no candles
at all does the caller fall back to asking for `sl PRICE`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from loguru import logger

from core.domain import Candle
from core.ports import Clock
from core.strategy.indicators import IndicatorState

CandleFetch = Callable[[str, str, int], list[Candle]]  # (pair, timeframe, limit) -> closed candles


class AtrOnDemand:
    def __init__(self, fetch: CandleFetch, timeframe: str, clock: Clock, ttl_ms: int = 60_000,
                 limit: int = 200) -> None:
        self._fetch, self._tf, self._clock, self._ttl, self._limit = fetch, timeframe, clock, ttl_ms, limit
        self._cache: dict[str, tuple[int, float | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, pair: str) -> float | None:
        now = self._clock.now_ms()
        with self._lock:
            hit = self._cache.get(pair)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        try:
            candles = self._fetch(pair, self._tf, self._limit)
        except Exception as exc:  # noqa: BLE001 - no candles means "ask for sl", never a crash
            logger.bind(pair=pair, action="atr_on_demand").warning("no candles for ATR: {}", exc)
            return None
        atr = atr14(candles)
        logger.bind(pair=pair, action="atr_on_demand", candles=len(candles), atr=atr).info("ATR fetched")
        with self._lock:
            self._cache[pair] = (now, atr)
        return atr


def atr14(candles: list[Candle]) -> float | None:
    """Wilder ATR14 at the last candle (the strategy's own indicator), None with < 14 candles."""
    state = IndicatorState()
    atr: float | None = None
    for c in candles:
        atr = state.update(c).atr
    return atr
