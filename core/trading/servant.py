"""The evidence gate as the live autopilot consumes it: live or shadow per pair, at each candle close.

The gate itself (`core/evidence/`) only judges a record of trades. This module feeds it the live
way: at the close of a trading-timeframe candle (`at_ms`, before that candle's decision) it
computes the plain strategy's own trades on each configured pair's candles closed by then — the
candles Zyn holds, never later ones (in a replay: only those before the replay clock) — adds the
ones closed since the last call, and evaluates every pair once for that moment. The same rule,
fed the same candles, is what `zyn backtest --servant` walks forward; the parity test holds the
two to the same live/shadow states candle by candle.

The pairs forced live by the owner (`trade BTC anyway`, a standing rule) come from a callback so
a new rule counts from the next candle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
from loguru import logger

from core.domain import Candle, Market
from core.evidence import EvidenceGate, EvidenceTrade, PairEvidence
from core.evidence.plain_record import PlainRecord
from core.evidence.records import unseen
from core.kernel.arrays import CandleArrays
from core.markets.timeframes import timeframe_ms
from core.telemetry.kv import KeyValueStore

EVIDENCE_KEY = "servant:evidence"
MIN_TRADES_FOR_INTERVAL = 2
"""Below two trades there is no spread to measure: the interval shown would be a single point."""


class PlainSource(Protocol):
    """The plain strategy's record of one pair from the candles Zyn holds at a moment."""

    def last_closed(self, pair: str, at_ms: int) -> int | None:
        """Open time of the last candle closed by `at_ms` (None: no candle yet)."""
        ...

    def trades(self, pair: str, at_ms: int) -> Sequence[EvidenceTrade]:
        """The plain strategy's closed trades on the pair's candles closed by `at_ms`."""
        ...

    def held(self, pair: str, at_ms: int) -> CandleArrays | None:
        """The pair's candles closed by `at_ms` (None: none held)."""
        ...


class ArraySource:
    """Candles already in memory (a replay's files, the candle store's columns): the record at
    `at_ms` is the kernel's run over the first n candles — those closed by then, never a later one.
    Each pair's record is extended by the candles new since the last question (`PlainRecord`),
    not recomputed over the whole history at every close."""

    def __init__(self, arrays: Mapping[str, CandleArrays], timeframe: str, market_of: Callable[[str], Market]) -> None:
        self.arrays, self.timeframe, self.market_of = dict(arrays), timeframe, market_of
        self._tf_ms = timeframe_ms(timeframe)
        self._records: dict[str, PlainRecord] = {}

    def _count(self, pair: str, at_ms: int) -> int:
        a = self.arrays.get(pair)
        return 0 if a is None else int(np.searchsorted(a.ts, at_ms - self._tf_ms, side="right"))

    def last_closed(self, pair: str, at_ms: int) -> int | None:
        n = self._count(pair, at_ms)
        return int(self.arrays[pair].ts[n - 1]) if n else None

    def trades(self, pair: str, at_ms: int) -> Sequence[EvidenceTrade]:
        held = self.held(pair, at_ms)
        if held is None:
            return []
        record = self._records.get(pair)
        if record is None:
            record = self._records[pair] = PlainRecord(pair, self.timeframe)
        return record.trades(self.market_of(pair), held)

    def held(self, pair: str, at_ms: int) -> CandleArrays | None:
        n = self._count(pair, at_ms)
        return self.arrays[pair].head(n) if n else None


class StoreSource(ArraySource):
    """Live: the candle store's history of the pair (backfilled from Kraken, and every candle the
    feed hands out), read once per new close (the evidence asks `last_closed` then `trades` for
    the same close: the second answer reuses the first read)."""

    def __init__(self, history: Callable[[str, int], Sequence[Candle]], timeframe: str,
                 market_of: Callable[[str], Market]) -> None:
        super().__init__({}, timeframe, market_of)
        self._history = history  # (pair, until_ms) -> candles closed by then, oldest first
        self._read: dict[str, tuple[int, int | None]] = {}  # pair -> (at_ms, its last closed candle) of the last read

    def last_closed(self, pair: str, at_ms: int) -> int | None:
        candles = [c for c in self._history(pair, at_ms) if c.ts + self._tf_ms <= at_ms]
        if candles:
            self.arrays[pair] = CandleArrays.from_candles(candles)
        last = candles[-1].ts if candles else None
        self._read[pair] = (at_ms, last)
        return last

    def held(self, pair: str, at_ms: int) -> CandleArrays | None:
        read = self._read.get(pair)
        last = read[1] if read is not None and read[0] == at_ms else self.last_closed(pair, at_ms)
        if last is None:
            return None
        return super().held(pair, at_ms)


class LiveEvidence:
    """Live/shadow per pair for the autopilot, evaluated once per candle close for every pair."""

    def __init__(
        self,
        gate: EvidenceGate,
        pairs: Sequence[str],
        source: PlainSource,
        forced: Callable[[], frozenset[str]] = frozenset,
        kv: KeyValueStore | None = None,
    ) -> None:
        self.gate, self.source, self._forced = gate, source, forced
        self._known: dict[str, None] = dict.fromkeys(pairs)  # the configured pairs, then every pair asked about
        self._kv = kv  # the last verdicts, for status in another process (`zyn status` without an owner)
        self._added: dict[str, set[tuple[int, int]]] = {}
        self._at: int | None = None
        self._verdicts: Mapping[str, PairEvidence] = {}
        self._seen: dict[str, int] = {}  # per pair: the last candle its trades were computed to

    @property
    def pairs(self) -> tuple[str, ...]:
        return tuple(self._known)

    def verdict(self, pair: str, at_ms: int) -> PairEvidence:
        """The gate's state for `pair` at the close `at_ms` (computed once per close for all pairs;
        a pair the universe adds joins the evaluation from its first question on)."""
        self._known.setdefault(pair)
        if self._at != at_ms or pair not in self._verdicts:
            self._refresh(at_ms)
        return self._verdicts[pair]

    def latest(self) -> dict[str, PairEvidence]:
        """Each configured pair's last evaluation (never evaluated yet: shadow with 0 trades,
        or live when the owner forced it), for status, the dashboard and chat."""
        forced = self._forced()
        stored = self._kv.get_json(EVIDENCE_KEY, {}) if self._kv is not None and not self._verdicts else {}
        out: dict[str, PairEvidence] = {}
        for pair in self.pairs:
            if pair in self._verdicts:
                out[pair] = self._verdicts[pair]
            elif isinstance(stored, dict) and isinstance(stored.get(pair), dict):
                out[pair] = PairEvidence(pair, **stored[pair])
            else:
                out[pair] = unseen(pair, pair in forced)
        return out

    def to_json(self) -> dict[str, dict[str, object]]:
        """The status JSON's `evidence` (contract keys per pair)."""
        return {pair: ev.to_json() for pair, ev in self.latest().items()}

    def _refresh(self, at_ms: int) -> None:
        pairs = self.pairs
        for pair in pairs:
            self._extend(pair, at_ms)
        self._verdicts = self.gate.evaluate(pairs, at_ms, self._forced())
        self._at = at_ms
        if self._kv is not None:
            self._kv.set_json(EVIDENCE_KEY, {p: ev.to_json() for p, ev in self._verdicts.items()})

    def _extend(self, pair: str, at_ms: int) -> None:
        last = self.source.last_closed(pair, at_ms)
        if last is None or self._seen.get(pair) == last:
            return
        self._seen[pair] = last
        added = self._added.setdefault(pair, set())
        fresh = 0
        for trade in self.source.trades(pair, at_ms):
            key = (trade.entered_ms, trade.closed_ms)
            if trade.closed_ms <= at_ms and key not in added:
                added.add(key)
                self.gate.add(trade)
                fresh += 1
        if fresh:
            logger.bind(pair=pair, action="evidence", trades=len(added)).info("{} new trade(s) in the evidence", fresh)


def evidence_text(ev: PairEvidence) -> str:
    """One line per pair, the same in status, the dashboard and chat:
    `BTC/USD: shadow — 41 trades over 14 months, expectancy -0.12R (90 % interval -0.31 to +0.06), pooled -0.09R`."""
    head = f"{ev.pair}: {ev.state}" + (" (forced by your rule)" if ev.forced else "")
    if ev.trades == 0 or ev.expectancy_r is None:
        return f"{head} — no trades in its record yet"
    months = f"{ev.months:.0f} months" if ev.months >= 2 else f"{ev.months:.1f} months"  # never "over 0 months"
    trades = f"{ev.trades} trade{'s' if ev.trades != 1 else ''}"
    line = f"{head} — {trades} over {months}, expectancy {ev.expectancy_r:+.2f}R"
    if _interval_says_something(ev):
        line += f" (90 % interval {ev.interval_low:+.2f} to {ev.interval_high:+.2f})"
    elif ev.interval_low is not None and ev.interval_high is not None:
        line += " (too few trades for an interval)"
    if ev.pooled_r is not None:
        line += f", pooled {ev.pooled_r:+.2f}R"
    return line


def _interval_says_something(ev: PairEvidence) -> bool:
    """Whether the interval is worth showing to the owner.

    With one trade (or identical outcomes) the interval collapses to a point — "+1.83 to +1.83" —
    which reads as a certainty the record does not have; the wording says "too few trades" instead.
    The gate's own arithmetic and the status JSON keep the numbers as they are."""
    low, high = ev.interval_low, ev.interval_high
    if low is None or high is None or ev.trades < MIN_TRADES_FOR_INTERVAL:
        return False
    return round(high - low, 2) > 0
