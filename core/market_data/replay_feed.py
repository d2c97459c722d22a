"""ReplayFeed: `core.ports.MarketFeed` over CSV candles, seen through a Clock.

Why a clock: replay must not leak the future. Only candles whose end (open + base width) is at
or before `clock.now_ms()` are visible, and a coarser candle (resampled, epoch-aligned) only
once its whole bucket is over — even when its last base candles are missing (Kraken writes no
row for an hour without trades).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.domain import Candle, UserError
from core.market_data.csv_loader import load_dataset
from core.market_data.resample import merge_bucket
from core.markets.timeframes import bucket_start, timeframe_ms
from core.ports import Clock


class ReplayFeed:
    def __init__(self, data: Mapping[str, tuple[str, Sequence[Candle]]], clock: Clock) -> None:
        self._clock = clock
        self._data = {pair: (tf, list(candles)) for pair, (tf, candles) in data.items()}
        self._ts = {pair: [c.ts for c in candles] for pair, (_, candles) in self._data.items()}

    @classmethod
    def from_path(cls, path: str | Path, clock: Clock) -> ReplayFeed:
        return cls(load_dataset(path), clock)

    def pairs(self) -> Sequence[str]:
        return sorted(self._data)

    def base(self, pair: str) -> tuple[str, list[Candle]]:
        """The raw (finest) candles of a pair and their timeframe, for the replay driver."""
        if pair not in self._data:
            raise UserError(f"no replay data for {pair}")
        return self._data[pair]

    def first_ms(self) -> int | None:
        starts = [candles[0].ts for _, candles in self._data.values() if candles]
        return min(starts) if starts else None

    def _visible(self, pair: str) -> tuple[int, list[Candle], int]:
        """(base width, candles list, count of candles closed at clock time)."""
        tf, candles = self.base(pair)
        width = timeframe_ms(tf)
        count = bisect_right(self._ts[pair], self._clock.now_ms() - width)
        return width, candles, count

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        if pair not in self._data:
            return []
        width, candles, count = self._visible(pair)
        target = timeframe_ms(timeframe)
        if target < width or target % width:
            raise UserError(f"cannot build {timeframe} candles from {self._data[pair][0]} candles")
        ratio = target // width
        start = max(0, count - (limit + 2) * ratio)
        while 0 < start < count and bucket_start(candles[start].ts, target) == bucket_start(
            candles[start - 1].ts, target
        ):
            start += 1  # never return a bucket cut by the window
        out = _buckets(candles[start:count], target, self._clock.now_ms())
        return out[-limit:] if limit > 0 else out

    def last_price(self, pair: str) -> float | None:
        if pair not in self._data:
            return None
        _, candles, count = self._visible(pair)
        return candles[count - 1].close if count > 0 else None


def _buckets(candles: Sequence[Candle], width: int, now_ms: int) -> list[Candle]:
    """Epoch-aligned OHLCV buckets; the last one only if its time is over."""
    out: list[Candle] = []
    group: list[Candle] = []
    for c in candles:
        if group and bucket_start(c.ts, width) != bucket_start(group[0].ts, width):
            out.append(merge_bucket(group, width))
            group = []
        group.append(c)
    if group and bucket_start(group[0].ts, width) + width <= now_ms:
        out.append(merge_bucket(group, width))
    return out
