"""ReplayDriver: walks real candles through the PaperExchange and ticks the autopilot.

Per pair, base candles are processed in timestamp order (all pairs merged). When a
trading-timeframe candle has closed (the next base candle opens a new bucket) the order is:
set_price(pair, open of that next base candle) -> autopilot.tick(pair, trading history up to
the closed candle) -> walk_candle(next base candle). So an entry fills at the next open and any
exit in that candle comes after the decision — as in core/research/backtest.py, where flatness is judged
at the close. The tick is due at the bucket's end, the walk when the base candle is over.
The service lock is held around each step (lock order: service, then paper) so the watcher,
called from inside the walk, and a chat order on another thread cannot deadlock.

Bounded (issue 20.5): a pair's closed trading candles are kept back to the autopilot's
`history_limit` (what the live path fetches: the strategy warms incrementally from its last
decided candle, and mtf's SMA20 of the longest confirming timeframe reads `history_needed`), at
most twice that between trims. Before, every closed candle of every pair stayed for the whole
replay: ~0.8 MB per simulated day at 240 pairs of 1h candles (bench/soak.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from loguru import logger

from core.clock import SimClock
from core.domain import Candle, UserError
from core.market_data.resample import merge_bucket
from core.markets.timeframes import bucket_start, timeframe_ms
from core.trading.autopilot import Autopilot
from core.trading.service import TradingService


class PaperMarket(Protocol):
    def set_price(self, pair: str, price: Decimal, ts_ms: int) -> None: ...

    def walk_candle(self, pair: str, candle: Candle, duration_ms: int | None = None) -> None: ...

    def held_prices(self) -> AbstractContextManager[None]: ...


@dataclass
class _Track:
    pair: str
    base_ms: int
    candles: Sequence[Candle]
    history: list[Candle] = field(default_factory=list)  # closed trading candles
    bucket: int | None = None
    current: list[Candle] = field(default_factory=list)


class ReplayDriver:
    def __init__(
        self,
        exchange: PaperMarket,
        autopilot: Autopilot,
        clock: SimClock,
        data: Mapping[str, tuple[str, Sequence[Candle]]],
        *,
        trading: TradingService,
        timeframe: str | None = None,
        keep: int | None = None,
    ) -> None:
        # `trading`: the service the autopilot acts through; the replay holds its lock around each
        # walk of the paper market (the lock order), which the autopilot itself never touches
        self.exchange, self.autopilot, self.clock, self.trading = exchange, autopilot, clock, trading
        self.timeframe = timeframe or autopilot.timeframe
        self._tf_ms = timeframe_ms(self.timeframe)
        # `keep`: closed candles kept per pair (default the autopilot's window; a test sets it)
        self._keep = max(1, keep if keep is not None else autopilot.history_limit)
        self._tracks: dict[str, _Track] = {}
        for pair, (tf, candles) in data.items():
            base_ms = timeframe_ms(tf)
            if self._tf_ms < base_ms or self._tf_ms % base_ms:
                raise UserError(f"cannot trade {self.timeframe} candles from {tf} candles of {pair}")
            self._tracks[pair] = _Track(pair, base_ms, candles)
        events = [(c.ts, pair, i) for pair, t in self._tracks.items() for i, c in enumerate(t.candles)]
        self._events = sorted(events)
        self._pos = 0
        self._ticked = False  # whether the current event's decision phase is done
        self.ticks = 0

    @property
    def done(self) -> bool:
        return self._pos >= len(self._events)

    def start_ms(self) -> int | None:
        return self._events[0][0] if self._events else None

    def history(self, pair: str) -> list[Candle]:
        return list(self._tracks[pair].history)

    def step(self, until_ms: int) -> int:
        """Process every decision and candle walk due by simulated time `until_ms`; returns walks done.
        The step's decisions are committed together and its quotes written once (issue 20.4;
        `core/trading/tick_batch.py`): the same rows, fewer commits."""
        with self.trading.decisions_batch(), self.exchange.held_prices():
            walked = self._step(until_ms)
        self.clock.set(until_ms)
        return walked

    def _step(self, until_ms: int) -> int:
        walked = 0
        service = self.trading
        while not self.done:
            ts, pair, i = self._events[self._pos]
            track = self._tracks[pair]
            candle = track.candles[i]
            if not self._ticked:
                if ts > until_ms:
                    break
                with service.lock:
                    self._open(track, candle)
                self._ticked = True
            if ts + track.base_ms > until_ms:
                break
            with service.lock:
                self.exchange.walk_candle(pair, candle, track.base_ms)
                service.sync()
            self._pos, self._ticked, walked = self._pos + 1, False, walked + 1
        return walked

    def skip_until(self, until_ms: int) -> int:
        """Resume a replay after a restart: rebuild the candle history up to `until_ms` without
        walking those candles through the exchange again (their fills are already persisted)
        and without deciding again (the autopilot remembers its last decided candle)."""
        skipped = 0
        while not self.done:
            ts, pair, i = self._events[self._pos]
            track = self._tracks[pair]
            if ts + track.base_ms > until_ms:
                break
            bucket = bucket_start(ts, self._tf_ms)
            if track.bucket is not None and bucket != track.bucket:
                self._close_bucket(track)
            track.bucket = bucket
            track.current.append(track.candles[i])
            self._pos, skipped = self._pos + 1, skipped + 1
        self.clock.set(until_ms)
        return skipped

    def advance(self, sim_ms: int) -> int:
        """For the scheduler job: move simulated time on by `sim_ms` (PAPER_SPEED x real elapsed)."""
        return self.step(self.clock.now_ms() + max(0, sim_ms))

    def run_to_end(self) -> int:
        last = self._events[-1] if self._events else None
        if last is None:
            return 0
        return self.step(last[0] + self._tracks[last[1]].base_ms)

    def _close_bucket(self, track: _Track) -> None:
        """The trading candle of the bucket just over joins the history; the oldest go past 2 x keep."""
        track.history.append(merge_bucket(track.current, self._tf_ms))
        track.current = []
        if len(track.history) >= 2 * self._keep:  # trimmed in chunks: amortised O(1) per candle
            del track.history[: len(track.history) - self._keep]

    def _open(self, track: _Track, candle: Candle) -> None:
        """The base candle opens: close the previous trading candle if its bucket is over, decide."""
        self.clock.set(candle.ts)
        bucket = bucket_start(candle.ts, self._tf_ms)
        closed = track.bucket is not None and bucket != track.bucket
        if closed:
            self._close_bucket(track)
        track.bucket = bucket
        track.current.append(candle)
        if not closed or track.pair not in self.autopilot.pairs:
            return
        self.exchange.set_price(track.pair, Decimal(repr(candle.open)), candle.ts)
        try:
            self.autopilot.tick(track.pair, track.history)
            self.ticks += 1
        except Exception as exc:  # noqa: BLE001 - one bad tick must not stop the replay
            logger.bind(pair=track.pair, action="tick").exception("tick failed: {}", exc)
            self.trading.journal.error("replay.tick", "fatal", f"{track.pair}: {exc}")
