"""The evidence gate as the live autopilot consumes it: live or shadow per pair, at each candle close.

The gate itself (`core/evidence/`) only judges a record of trades. This module feeds it the live
way: at the close of a trading-timeframe candle (`at_ms`, before that candle's decision) it
computes the strategy's own trades on each configured pair's candles closed by then — the
candles Zyn holds, never later ones (in a replay: only those before the replay clock) — adds the
ones closed since the last call, and evaluates every pair once for that moment. The same rule,
fed the same candles, is what `zyn backtest --servant` walks forward; the parity test holds the
two to the same live/shadow states candle by candle.

With advanced modules on (`mtf`, `profit_target`), the record is the strategy's WITH those modules
(the entries the autopilot actually makes), one record per module set (core/evidence/module_set.py).

The pairs forced live by the owner (`trade BTC anyway`, a standing rule) come from a callback so
a new rule counts from the next candle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from loguru import logger

from core.domain import Candle, Market
from core.evidence import EvidenceGate, EvidenceTrade, PairEvidence
from core.evidence.module_set import PLAIN, ModuleSet, describe
from core.evidence.plain_record import PlainRecord
from core.evidence.records import unseen
from core.kernel.arrays import CandleArrays
from core.kernel.flavour import Flavour
from core.markets.timeframes import timeframe_ms
from core.strategy.entry_rules import EntryRules
from core.telemetry.kv import KeyValueStore

EVIDENCE_KEY = "servant:evidence"
RECORD_MODULES_KEY = "servant:evidence_modules"  # the module set of the last evaluation (not in the status JSON)
MIN_TRADES_FOR_INTERVAL = 2
"""Below two trades there is no spread to measure: the interval shown would be a single point."""


class PlainSource(Protocol):
    """The plain strategy's record of one pair from the candles Zyn holds at a moment."""

    def last_closed(self, pair: str, at_ms: int) -> int | None:
        """Open time of the last candle closed by `at_ms` (None: no candle yet)."""
        ...

    def trades(self, pair: str, at_ms: int, modules: ModuleSet = PLAIN) -> Sequence[EvidenceTrade]:
        """The strategy's closed trades (with the advanced `modules` on; none = plain) on the pair's
        candles closed by `at_ms`."""
        ...

    def held(self, pair: str, at_ms: int) -> CandleArrays | None:
        """The pair's candles closed by `at_ms` (None: none held)."""
        ...


class ArraySource:
    """Candles already in memory (a replay's files, the candle store's columns): the record at
    `at_ms` is the kernel's run over the first n candles — those closed by then, never a later one.
    Each pair's record is extended by the candles new since the last question (`PlainRecord`),
    not recomputed over the whole history at every close. One record per pair and module set
    (`rules_for` builds the modules' EntryRules for a set; without it only the plain record exists).
    `flavour`: the kernel flavour the records run in (None: by each call's work; the root passes
    "compiled" for a big universe, core.kernel.flavour.by_universe)."""

    def __init__(self, arrays: Mapping[str, CandleArrays], timeframe: str, market_of: Callable[[str], Market],
                 rules_for: Callable[[ModuleSet], EntryRules] | None = None, flavour: Flavour | None = None) -> None:
        self.arrays, self.timeframe, self.market_of = dict(arrays), timeframe, market_of
        self._tf_ms = timeframe_ms(timeframe)
        self._rules_for = rules_for
        self.flavour = flavour
        self._records: dict[tuple[str, ModuleSet], PlainRecord] = {}

    def _count(self, pair: str, at_ms: int) -> int:
        a = self.arrays.get(pair)
        return 0 if a is None else int(np.searchsorted(a.ts, at_ms - self._tf_ms, side="right"))

    def last_closed(self, pair: str, at_ms: int) -> int | None:
        n = self._count(pair, at_ms)
        return int(self.arrays[pair].ts[n - 1]) if n else None

    def trades(self, pair: str, at_ms: int, modules: ModuleSet = PLAIN) -> Sequence[EvidenceTrade]:
        held = self.held(pair, at_ms)
        if held is None:
            return []
        record = self._records.get((pair, modules))
        if record is None:
            record = self._records[(pair, modules)] = PlainRecord(pair, self.timeframe, rules=self._rules(modules),
                                                                 flavour=self.flavour)
        return record.trades(self.market_of(pair), held)

    def _rules(self, modules: ModuleSet) -> Callable[[], EntryRules] | None:
        if not modules:
            return None
        rules_for = self._rules_for
        if rules_for is None:
            raise ValueError(f"no rules for the modules {describe(modules)}: the source was built without them")
        return lambda: rules_for(modules)

    def held(self, pair: str, at_ms: int) -> CandleArrays | None:
        n = self._count(pair, at_ms)
        return self.arrays[pair].head(n) if n else None


class StoreSource(ArraySource):
    """Live: the candle store's history of the pair (backfilled from Kraken, and every candle the
    feed hands out), read once per new close (the evidence asks `last_closed` then `trades` for
    the same close: the second answer reuses the first read)."""

    def __init__(self, history: Callable[[str, int], Sequence[Candle]], timeframe: str,
                 market_of: Callable[[str], Market],
                 rules_for: Callable[[ModuleSet], EntryRules] | None = None, flavour: Flavour | None = None) -> None:
        super().__init__({}, timeframe, market_of, rules_for, flavour)
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


@dataclass
class _Book:
    """One module set's record: its gate (the trades booked, the rule's own hysteresis) and, per
    pair, the trades already booked and the last candle they were computed to."""

    gate: EvidenceGate
    added: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)


class LiveEvidence:
    """Live/shadow per pair for the autopilot, evaluated once per candle close for every pair.

    The record judged is that of the strategy with the module set the autopilot trades with
    (`modules`, read once per close; core/evidence/module_set.py): each set keeps its own gate, so
    `set feature mtf on` starts the mtf record (computed over the candles held, so it has its
    history at once) and switching back reuses the plain one, extended by the candles since. The
    records are never mixed. `gate` is the plain record's (the default: no module on).
    """

    def __init__(  # noqa: PLR0913
        self,
        gate: EvidenceGate,
        pairs: Sequence[str],
        source: PlainSource,
        forced: Callable[[], frozenset[str]] = frozenset,
        kv: KeyValueStore | None = None,
        modules: Callable[[], ModuleSet] = lambda: PLAIN,
    ) -> None:
        self.gate, self.source, self._forced, self._modules = gate, source, forced, modules
        self._known: dict[str, None] = dict.fromkeys(pairs)  # the configured pairs, then every pair asked about
        self._kv = kv  # the last verdicts, for status in another process (`zyn status` without an owner)
        self._books: dict[ModuleSet, _Book] = {PLAIN: _Book(gate)}
        self._record: ModuleSet = PLAIN  # the module set of the last evaluation
        self._stored_record: ModuleSet | None = None  # what the kv says it is (written when it changes)
        self._at: int | None = None
        self._verdicts: Mapping[str, PairEvidence] = {}

    @property
    def pairs(self) -> tuple[str, ...]:
        return tuple(self._known)

    def join(self, pairs: Sequence[str]) -> None:
        """The pairs the autopilot steps from now on (the universe's), known before their first
        question, so each close evaluates them all together once. Asked one at a time, each new
        pair re-evaluated (and stored) the whole universe known so far: a universe of 1,000 pairs
        joining at one close cost ~500,000 judgements and 1,000 kv writes (issue 20.4, session 7)."""
        for pair in pairs:
            self._known.setdefault(pair)

    @property
    def record_modules(self) -> ModuleSet:
        """The module set the last evaluation's record is of (empty: the plain strategy)."""
        return self._record

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
        modules = self._modules()
        book = self._books.get(modules)
        if book is None:
            book = self._books[modules] = _Book(EvidenceGate(self.gate.rule))
            logger.bind(action="evidence").info("evidence record of the strategy with {} started", describe(modules))
        for pair in pairs:
            self._extend(book, modules, pair, at_ms)
        self._verdicts = book.gate.evaluate(pairs, at_ms, self._forced())
        self._at, self._record = at_ms, modules
        if self._kv is not None:
            self._kv.set_json(EVIDENCE_KEY, {p: ev.to_json() for p, ev in self._verdicts.items()})
            if self._stored_record != modules:
                self._kv.set_json(RECORD_MODULES_KEY, sorted(modules))
                self._stored_record = modules

    def _extend(self, book: _Book, modules: ModuleSet, pair: str, at_ms: int) -> None:
        last = self.source.last_closed(pair, at_ms)
        if last is None or book.seen.get(pair) == last:
            return
        book.seen[pair] = last
        added = book.added.setdefault(pair, set())
        fresh = 0
        trades = self.source.trades(pair, at_ms, modules) if modules else self.source.trades(pair, at_ms)
        for trade in trades:
            key = (trade.entered_ms, trade.closed_ms)
            if trade.closed_ms <= at_ms and key not in added:
                added.add(key)
                book.gate.add(trade)
                fresh += 1
        if fresh:
            logger.bind(pair=pair, action="evidence", trades=len(added)).info("{} new trade(s) in the evidence", fresh)


def record_modules_of(kv: KeyValueStore) -> ModuleSet:
    """The module set the last evaluation's record is of, as any process reads it (empty: plain,
    also before the first evaluation)."""
    raw = kv.get_json(RECORD_MODULES_KEY, [])
    return frozenset(str(m) for m in raw) if isinstance(raw, list) else PLAIN


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
