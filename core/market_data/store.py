"""The candle store port: every candle Zyn has seen, per pair and timeframe, for anything that
needs history (the learning runner, the chat backtest, the evidence gate).

Why a port in core: the readers are core logic and must not care whether candles live in the
database (`core.market_data.store_sql.SqlCandleStore`, the one Zyn builds) or in memory (tests).
Why `history(..., until_ms)`: a decision at time T may only use candles that CLOSED by T
(open + timeframe <= T); every reader states its T instead of filtering afterwards, and in a
replay `ClockBoundStore` caps T at the replay clock so nothing can read the future.
Why resampling here: Kraken's OHLC gives 720 candles per timeframe, the Trades backfill and the
CSV imports give one timeframe each; `history` answers any coarser timeframe from the finest
stored one that divides it, so a 4h reader sees the 1h history too (`merge_history`).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.domain import Candle
from core.market_data.resample import resample
from core.markets.timeframes import timeframe_ms
from core.ports import Clock


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the store holds for one pair and timeframe (`zyn data status`)."""

    pair: str
    timeframe: str
    first_ms: int  # open time of the oldest candle
    last_ms: int  # open time of the newest candle
    candles: int


class CandleStore(Protocol):
    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        """Keep candles (idempotent: a candle already stored at that open time is replaced by
        the newer reading); returns how many were written."""
        ...

    def history(self, pair: str, timeframe: str, until_ms: int | None = None) -> list[Candle]:
        """Candles oldest first that closed by `until_ms` (all when None), stored in `timeframe`
        or built from a finer stored timeframe where that one is missing."""
        ...

    def coverage(self) -> list[Coverage]:
        """One row per stored pair and timeframe, sorted by pair then timeframe length."""
        ...


def closed_by(candles: Iterable[Candle], tf_ms: int, until_ms: int | None) -> list[Candle]:
    """The candles whose close time (open + width) is at or before `until_ms`."""
    if until_ms is None:
        return list(candles)
    return [c for c in candles if c.ts + tf_ms <= until_ms]


def merge_history(
    timeframe: str, stored: dict[str, list[Candle]], until_ms: int | None
) -> list[Candle]:
    """`timeframe` candles from what is stored per timeframe (each list oldest first).

    The exact timeframe wins where it has a candle; buckets it does not cover are built from the
    finest stored timeframe that divides it (only complete buckets: `resample` drops a bucket
    whose finer candles have not all closed, so nothing forming leaks in)."""
    want = timeframe_ms(timeframe)
    exact = closed_by(stored.get(timeframe, []), want, until_ms)
    finer = sorted(
        (tf for tf in stored if tf != timeframe and want % timeframe_ms(tf) == 0 and timeframe_ms(tf) < want),
        key=timeframe_ms,
    )
    if not finer:
        return exact
    source = finer[0]
    built = resample(closed_by(stored[source], timeframe_ms(source), until_ms), source, timeframe)
    built = closed_by(built, want, until_ms)
    if not exact:
        return built
    have = {c.ts for c in exact}
    merged = exact + [c for c in built if c.ts not in have]
    merged.sort(key=lambda c: c.ts)
    return merged


class ClockBoundStore:
    """A store that only ever holds and shows candles closed before the clock (a replay's).

    A candle that has not closed by `clock.now_ms()` is not written, and `history` never reads
    past now: in a replay the learning runner and a chat `backtest` see the past only. With
    `replay` (the replay's candle files, pair -> (timeframe, candles)), the candles the replay
    has passed are kept as it goes: `catch_up` writes those closed since the last call (the
    background start-up pass does all pairs; `history` does its pair first), never one ahead."""

    def __init__(self, inner: CandleStore, clock: Clock,
                 replay: Mapping[str, tuple[str, Sequence[Candle]]] | None = None) -> None:
        self._inner, self._clock = inner, clock
        self._replay = dict(replay or {})
        self._kept: dict[str, int] = {}  # pair -> how many of its replay candles are stored
        self._lock = threading.Lock()

    def catch_up(self, pair: str | None = None) -> int:
        """Store the replay candles of `pair` (all pairs when None) closed by now; returns how many."""
        written = 0
        for name in [pair] if pair is not None else sorted(self._replay):
            if name not in self._replay:
                continue
            tf, candles = self._replay[name]
            width = timeframe_ms(tf)
            with self._lock:  # one writer per pair's marker (the start-up pass and a chat read)
                start = self._kept.get(name, 0)
                end = bisect_right([c.ts for c in candles], self._clock.now_ms() - width)
                if end > start:
                    written += self._inner.add(name, tf, list(candles[start:end]))
                    self._kept[name] = end
        return written

    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        past = closed_by(candles, timeframe_ms(timeframe), self._clock.now_ms())
        return self._inner.add(pair, timeframe, past) if past else 0

    def history(self, pair: str, timeframe: str, until_ms: int | None = None) -> list[Candle]:
        self.catch_up(pair)
        now = self._clock.now_ms()
        return self._inner.history(pair, timeframe, now if until_ms is None else min(until_ms, now))

    def coverage(self) -> list[Coverage]:
        return self._inner.coverage()


class MemoryCandleStore:
    """The port in memory: tests, and one-off tools that need no database."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[int, Candle]] = {}

    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        timeframe_ms(timeframe)  # a bad timeframe is refused before anything is kept
        rows = self._rows.setdefault((pair, timeframe), {})
        for c in candles:
            rows[c.ts] = c
        return len(candles)

    def history(self, pair: str, timeframe: str, until_ms: int | None = None) -> list[Candle]:
        stored = {tf: [rows[t] for t in sorted(rows)] for (p, tf), rows in self._rows.items() if p == pair}
        return merge_history(timeframe, stored, until_ms)

    def coverage(self) -> list[Coverage]:
        out = [
            Coverage(p, tf, min(rows), max(rows), len(rows)) for (p, tf), rows in self._rows.items() if rows
        ]
        return sorted(out, key=lambda c: (c.pair, timeframe_ms(c.timeframe)))
