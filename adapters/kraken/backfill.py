"""Backfill the candle store from Kraken's public OHLC and Trades, inside the rate budget.

Why both endpoints: OHLC answers only the newest 720 candles of an interval (30 days at 1h);
older history exists on Kraken only as the trade tape, read oldest first with `since` and the
`last` cursor each page returns (docs.kraken.com, "Get Recent Trades"; at most 1000 trades a
call). So per pair: OHLC for every timeframe Zyn reads (the trading one, mtf's), then the tape
from `history_days` ago up to the first OHLC candle, aggregated into trading-timeframe candles
(`core.market_data.store_trades`). Coarser timeframes are built from those by the store.
Why it resumes: a busy pair's year of trades is tens of thousands of calls at Kraken's public
pace (about one a second); each page's finished candles are stored at once, and the next start
continues after the newest stored candle before the OHLC block instead of starting over.
Every call spends the process's public budget first (`adapters.kraken.budget.RateBudget`, through
`SerialKraken`), so the backfill never pushes Zyn's own market-data calls over Kraken's limit.
It runs in a background thread after start (`zyn run`); a failure is logged and ends the backfill
for that pair, it never stops trading.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import ccxt
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError

from adapters.kraken.budget import RateBudget, background_calls
from adapters.kraken.guard import own_decimal_context
from adapters.kraken.names import kraken_altname
from adapters.kraken.serial_client import SerialKraken
from core.domain import Candle
from core.market_data.store import CandleStore
from core.market_data.store_import import minutes_timeframe
from core.market_data.store_trades import TradeCandles
from core.markets.timeframes import bucket_start, timeframe_ms
from core.ports import Clock

OHLC_MINUTES = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)  # the intervals Kraken's OHLC serves
NS_PER_MS = 1_000_000
DAY_MS = 86_400_000
RETRIES = 3
T = TypeVar("T")
log = logger.bind(component="backfill")

PublicCall = Callable[[str, dict[str, Any]], dict[str, Any]]


def budgeted_public(api_url: str, budget: RateBudget, timeout_ms: int = 10_000) -> PublicCall:
    """Kraken's raw public endpoints through ccxt (`publicGet<Method>`), each call paid from `budget`."""
    client = SerialKraken({"enableRateLimit": True, "timeout": timeout_ms}, budget)
    client.urls["api"] = {**client.urls["api"], "public": api_url, "private": api_url}

    def call(method: str, params: dict[str, Any]) -> dict[str, Any]:
        with background_calls():  # the backfill yields to the owner's calls (issue 19.5)
            answer: dict[str, Any] = own_decimal_context(lambda: getattr(client, f"publicGet{method}")(params))()
        return answer

    return call


@dataclass
class BackfillReport:
    calls: int = 0
    candles: dict[str, int] = field(default_factory=dict)  # "PAIR TF" -> candles stored
    errors: dict[str, str] = field(default_factory=dict)  # pair -> why its backfill stopped


class KrakenBackfill:
    """One pass over `pairs`: OHLC for each of `timeframes`, then the Trades tape for the first
    (finest) one back to `history_days` ago. `run()` in the caller's thread; `start()` in its own."""

    def __init__(self, call: PublicCall, store: CandleStore, clock: Clock, pairs: Sequence[str],
                 timeframes: Sequence[str], history_days: float, *, progress_every_s: float = 10.0,
                 backoff_s: float = 2.0) -> None:
        self._call, self._store, self._clock = call, store, clock
        self._pairs, self._tfs = tuple(pairs), tuple(dict.fromkeys(timeframes))
        self._days = history_days
        self._every = progress_every_s
        self._backoff_s = backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.report = BackfillReport()
        self.done = threading.Event()

    # ------------------------------------------------------------------ thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="zyn-backfill", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)

    # ------------------------------------------------------------------ work
    def run(self) -> BackfillReport:
        """OHLC for every pair first (the newest 720 candles are what mtf and the gate need soonest),
        then each pair's trade tape; one pair's failure is logged and the others go on."""
        try:
            ends: dict[str, int] = {}
            for pair in self._pairs:
                if not self._stop.is_set():
                    firsts = self._guarded(pair, partial(self._ohlc_all, pair))
                    if firsts is not None:
                        ends[pair] = firsts.get(self._tfs[0]) or self._clock.now_ms()
            for pair, end in ends.items():
                if not self._stop.is_set():
                    self._guarded(pair, partial(self._trades, pair, self._tfs[0], end))
            log.bind(calls=self.report.calls, candles=sum(self.report.candles.values())).info(
                "backfill finished: {} calls, {} candles stored", self.report.calls, sum(self.report.candles.values()))
        finally:
            self.done.set()
        return self.report

    def _guarded(self, pair: str, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except (ccxt.BaseError, SQLAlchemyError, KeyError, ValueError, TypeError) as exc:  # storage out: issue 19.3
            self.report.errors[pair] = f"{type(exc).__name__}: {str(exc)[:160]}"
            log.bind(pair=pair, error=type(exc).__name__).warning("backfill {} stopped: {}", pair,
                                                                  self.report.errors[pair])
            return None

    def _ohlc_all(self, pair: str) -> dict[str, int | None]:
        return {tf: self._ohlc(pair, tf) for tf in self._tfs}

    def _ohlc(self, pair: str, timeframe: str) -> int | None:
        """Store the closed OHLC candles; returns the first one's open time (None: none)."""
        tf_ms = timeframe_ms(timeframe)
        minutes = max((m for m in OHLC_MINUTES if (tf_ms // 60_000) % m == 0), default=None)
        if minutes is None:
            return None
        stored_tf = timeframe if minutes * 60_000 == tf_ms else minutes_timeframe(minutes)
        result = self._get("OHLC", {"pair": kraken_altname(pair), "interval": minutes})
        rows = _rows(result)
        now = self._clock.now_ms()
        width = minutes * 60_000
        candles = [Candle(int(r[0]) * 1000, float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[6]))
                   for r in rows]
        closed = [c for c in candles if c.ts + width <= now]
        self._keep(pair, stored_tf, closed)
        return closed[0].ts if closed else None

    def _trades(self, pair: str, timeframe: str, end_ms: int) -> None:
        """The tape from where the store's history stops (or `history_days` ago) up to `end_ms`."""
        tf_ms = timeframe_ms(timeframe)
        target = bucket_start(self._clock.now_ms() - int(self._days * DAY_MS), tf_ms)
        have = [c for c in self._store.history(pair, timeframe, until_ms=end_ms) if c.ts >= target]
        resume = have[-1].ts + tf_ms if have else target
        if self._days <= 0 or resume >= end_ms:
            return
        agg = TradeCandles(tf_ms)
        cursor, reached, last_note = str(resume * NS_PER_MS), resume, time.monotonic()
        while not self._stop.is_set():
            result = self._get("Trades", {"pair": kraken_altname(pair), "since": cursor})
            trades = [(round(float(t[2]) * 1000), float(t[0]), float(t[1])) for t in _rows(result)]
            done = agg.feed(trades)
            self._keep(pair, timeframe, [c for c in done if resume <= c.ts and c.ts + tf_ms <= end_ms])
            nxt = str(result.get("last") or cursor)
            if not trades or nxt == cursor or trades[-1][0] >= end_ms:
                break
            cursor, reached = nxt, trades[-1][0]
            if time.monotonic() - last_note >= self._every:
                last_note = time.monotonic()
                self._progress(pair, timeframe, resume, reached, end_ms)
        self._progress(pair, timeframe, resume, end_ms if not self._stop.is_set() else reached, end_ms)

    def _progress(self, pair: str, timeframe: str, start: int, reached: int, end: int) -> None:
        share = 100.0 * (reached - start) / max(1, end - start)
        key = f"{pair} {timeframe}"
        log.bind(pair=pair, timeframe=timeframe, calls=self.report.calls, share=round(share, 1)).info(
            "backfill {}: trades read up to {} ({:.0f} % of {} to {}), {} calls, {} candles stored",
            key, _day(reached), min(100.0, share), _day(start), _day(end), self.report.calls,
            self.report.candles.get(key, 0))

    def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One call; a network failure or Kraken's "too many requests" is tried again after a pause
        (RETRIES times, doubling), any other refusal ends this pair's backfill."""
        for attempt in range(RETRIES + 1):
            self.report.calls += 1
            try:
                answer = self._call(method, params)
                break
            except ccxt.NetworkError:  # includes RateLimitExceeded / DDoSProtection
                if attempt == RETRIES or self._stop.wait(self._backoff_s * 2**attempt):
                    raise
        result = answer.get("result")
        if not isinstance(result, dict):
            raise ValueError(f"{method}: no result in Kraken's answer")
        return result

    def _keep(self, pair: str, timeframe: str, candles: list[Candle]) -> None:
        if candles:
            self._store.add(pair, timeframe, candles)
            key = f"{pair} {timeframe}"
            self.report.candles[key] = self.report.candles.get(key, 0) + len(candles)


def _rows(result: dict[str, Any]) -> list[list[Any]]:
    """The one list in a Kraken answer keyed by the pair id (beside `last`)."""
    for key, value in result.items():
        if key != "last" and isinstance(value, list):
            return value
    return []


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
