"""The sim's candle history: what has been replayed so far, served like Kraken's OHLC endpoint.

Why here and not in the paper exchange: the paper engine matches orders; the history a client
sees must grow with the replay clock (no peeking at future candles), be resampled to the
interval asked for, keep only the last 720 rows and end with the still-forming candle, as
Kraken's does. Gaps in the data stay gaps.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from typing import Protocol

from core.domain import Candle
from core.markets.timeframes import bucket_start

MAX_ROWS = 720


class CandleListener(Protocol):
    """Told as the replay trades (the sim's WebSocket streams from this)."""

    def candle_traded(self, pair: str, candle: Candle, closed: bool) -> None: ...


class CandleBook:
    """Per pair: the base-timeframe candles closed so far (appended by the replay thread).

    Listeners hear each base candle as it trades: its state so far while it forms (`traded`), then
    the whole candle when it closes (`add`)."""

    def __init__(self) -> None:
        self._candles: dict[str, list[Candle]] = {}
        self._tf_ms: dict[str, int] = {}
        self._lock = threading.Lock()
        self._listeners: list[CandleListener] = []

    def listen(self, listener: CandleListener) -> None:
        self._listeners.append(listener)

    def traded(self, pair: str, forming: Candle) -> None:
        """A trade inside the still-forming base candle (`forming` = its OHLC so far)."""
        for listener in list(self._listeners):
            listener.candle_traded(pair, forming, closed=False)

    def add(self, pair: str, tf_ms: int, candle: Candle) -> None:
        with self._lock:
            rows = self._candles.setdefault(pair, [])
            self._tf_ms.setdefault(pair, tf_ms)
            added = not rows or candle.ts > rows[-1].ts
            if added:
                rows.append(candle)
        if added:
            for listener in list(self._listeners):
                listener.candle_traded(pair, candle, closed=True)

    def bucket(self, pair: str, interval_ms: int, start_ms: int) -> list[Candle]:
        """The closed base candles inside [start_ms, start_ms + interval_ms)."""
        with self._lock:
            rows = self._candles.get(pair, [])
            stamps = [c.ts for c in rows[-2000:]]
            tail = rows[-2000:]
            i = bisect.bisect_left(stamps, start_ms)
            j = bisect.bisect_left(stamps, start_ms + interval_ms)
            return list(tail[i:j])

    def pairs(self) -> list[str]:
        with self._lock:
            return list(self._candles)

    def extend(self, pair: str, tf_ms: int, candles: Sequence[Candle]) -> None:
        for c in candles:
            self.add(pair, tf_ms, c)

    def base_tf_ms(self, pair: str) -> int | None:
        with self._lock:
            return self._tf_ms.get(pair)

    def closed_rows(self, pair: str, now_ms: int) -> list[Candle]:
        """Every base candle that has closed by `now_ms`, oldest first (the Trades tape's source)."""
        with self._lock:
            rows = list(self._candles.get(pair, []))
            tf = self._tf_ms.get(pair, 0)
        return [c for c in rows if c.ts + tf <= now_ms]

    def last_day(self, pair: str, now_ms: int) -> list[Candle]:
        """The candles of the 24 hours before `now_ms` (the Ticker's 24h volume). Never a candle
        that starts at or after `now_ms`: a data file that starts later than the others is
        warmed up ahead of the clock, and its future must not leak into the volume."""
        with self._lock:
            rows = self._candles.get(pair, [])[-2000:]
            stamps = [c.ts for c in rows]
            i = bisect.bisect_left(stamps, now_ms - 86_400_000)
            j = bisect.bisect_left(stamps, now_ms)
            return list(rows[i:j])

    def ohlc(
        self, pair: str, interval_ms: int, since_ms: int | None, now_ms: int
    ) -> tuple[list[Candle], int]:
        """(candles incl. the forming one, `last` = open time in ms of the last closed one).

        Raises ValueError when the interval is finer than (or not a multiple of) the data's.
        """
        with self._lock:
            rows = list(self._candles.get(pair, []))
            base = self._tf_ms.get(pair, interval_ms)
        if interval_ms < base or interval_ms % base:
            raise ValueError("interval")
        closed, forming = _aggregate(rows, base, interval_ms, now_ms)
        last = closed[-1].ts if closed else 0
        out = closed + ([forming] if forming else [])
        if since_ms is not None:
            out = [c for c in out if c.ts >= since_ms]
        return out[-MAX_ROWS:], last


def _aggregate(
    rows: list[Candle], base: int, interval: int, now_ms: int
) -> tuple[list[Candle], Candle | None]:
    """Group base candles into `interval` buckets; the bucket holding `now_ms` is the forming one."""
    groups: dict[int, list[Candle]] = {}
    order: list[int] = []
    for c in rows[-(MAX_ROWS + 1) * (interval // base) :]:
        start = bucket_start(c.ts, interval)
        if start not in groups:
            groups[start] = []
            order.append(start)
        groups[start].append(c)
    current = bucket_start(now_ms, interval)
    closed = [merge(s, groups[s]) for s in order if s + interval <= now_ms]
    if current in groups:
        return closed, merge(current, groups[current])
    if closed:
        p = closed[-1].close  # nothing traded yet in this bucket: a flat, empty forming candle
        return closed, Candle(ts=current, open=p, high=p, low=p, close=p, volume=0.0)
    return closed, None


def merge(start: int, group: Sequence[Candle]) -> Candle:
    return Candle(
        ts=start,
        open=group[0].open,
        high=max(c.high for c in group),
        low=min(c.low for c in group),
        close=group[-1].close,
        volume=sum(c.volume for c in group),
    )
