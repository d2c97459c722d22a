"""The evidence gate: per pair, live or shadow from the plain strategy's own closed trades.

When it is evaluated (pinned): at the close of every candle of the trading timeframe, BEFORE that
candle's decision, with `at_ms` = that candle's close time. The live autopilot and the `--servant`
walk-forward both do exactly this, so their live/shadow states can be compared candle by candle.
An evaluation reads only trades with `closed_ms <= at_ms` (no look-ahead by construction: a trade
added later with an earlier `closed_ms` is simply counted from the next evaluation on), pools the
universe (every pair the gate knows) and carries each pair's previous state into the rule's
hysteresis. Evaluating twice at the same time with the same trades changes nothing, so a caller
may skip evaluations where no trade closed or left the lookback (the walk-forward does).
Deterministic: trades are ordered by (closed_ms, entered_ms, r), never by arrival.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.evidence.records import EvidenceTrade, PairEvidence, State, unseen
from core.evidence.rule import DAY_MS, DEFAULT_RULE, GateRule

MONTH_MS = 30.4375 * DAY_MS


def _key(t: EvidenceTrade) -> tuple[int, int, float]:
    return t.closed_ms, t.entered_ms, t.r


@dataclass
class _Series:
    """One set of trades sorted by close time, with prefix sums for O(log n) window figures.

    Trades added since the last window are merged in at the next one: sorted among themselves and
    merged into the sorted tail from the first position they reach, and the prefix sums redone
    from there, left to right — the same order (stable: earlier trades first among equal keys) and
    the same float sums as sorting everything again, at the cost of the tail (a close's new trades
    land at the end), not of the universe's whole record at every evaluation."""

    trades: list[EvidenceTrade] = field(default_factory=list)
    keys: list[tuple[int, int, float]] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    sums: list[float] = field(default_factory=lambda: [0.0])
    squares: list[float] = field(default_factory=lambda: [0.0])
    pending: list[EvidenceTrade] = field(default_factory=list)

    def add(self, t: EvidenceTrade) -> None:
        self.pending.append(t)

    def _index(self) -> None:
        new = sorted(self.pending, key=_key)
        self.pending = []
        first = bisect.bisect_right(self.keys, _key(new[0]))  # the sorted trades before it stay as they are
        merged = list(heapq.merge(self.trades[first:], new, key=_key))  # ties: the earlier trade first
        self.trades[first:] = merged
        self.keys[first:] = [_key(t) for t in merged]
        self.closed[first:] = [t.closed_ms for t in merged]
        del self.sums[first + 1:], self.squares[first + 1:]
        for t in merged:
            self.sums.append(self.sums[-1] + t.r)
            self.squares.append(self.squares[-1] + t.r * t.r)

    def window(self, start_ms: int, at_ms: int) -> tuple[int, int]:
        """Index range of the trades with start_ms <= closed_ms <= at_ms."""
        if self.pending:
            self._index()
        return bisect.bisect_left(self.closed, start_ms), bisect.bisect_right(self.closed, at_ms)

    def moments(self, lo: int, hi: int) -> tuple[int, float, float]:
        """(n, mean, sample variance; 0 below 2 trades) of trades[lo:hi]."""
        n = hi - lo
        if n == 0:
            return 0, 0.0, 0.0
        mean = (self.sums[hi] - self.sums[lo]) / n
        if n < 2:
            return n, mean, 0.0
        var = (self.squares[hi] - self.squares[lo] - n * mean * mean) / (n - 1)
        return n, mean, max(var, 0.0)


class EvidenceGate:
    """Live or shadow per pair, from the closed trades it is given (`add`) and the rule."""

    def __init__(self, rule: GateRule = DEFAULT_RULE) -> None:
        self.rule = rule
        self._pairs: dict[str, _Series] = {}
        self._all = _Series()
        self._rule_state: dict[str, State] = {}  # the rule's own state (forcing does not feed hysteresis)
        self._last: dict[str, PairEvidence] = {}
        self._period: dict[str, int] = {}  # pair -> review period of its last evaluation

    def add(self, trade: EvidenceTrade) -> None:
        """Book a closed plain-strategy trade (live or shadow) as evidence for its pair."""
        self._pairs.setdefault(trade.pair, _Series()).add(trade)
        self._all.add(trade)

    def add_all(self, trades: Iterable[EvidenceTrade]) -> None:
        for t in trades:
            self.add(t)

    def evaluate(
        self, pairs: Iterable[str], at_ms: int, forced: frozenset[str] = frozenset()
    ) -> dict[str, PairEvidence]:
        """Each pair's evidence and state at `at_ms` (only trades closed by then count)."""
        start = self.rule.window_start(at_ms)
        lo, hi = self._all.window(start, at_ms)
        pooled_n, pooled_mean, pooled_var = self._all.moments(lo, hi)
        period = self.rule.review_period(at_ms)
        out: dict[str, PairEvidence] = {}
        for pair in pairs:
            may_change = not self.rule.review_days or self._period.get(pair) != period
            self._period[pair] = period
            out[pair] = self._judge(pair, start, at_ms, (pooled_n, pooled_mean, pooled_var), may_change,
                                    pair in forced)
        self._last.update(out)
        return out

    def state(self, pair: str) -> PairEvidence:
        """The pair's last evaluation; never evaluated = shadow with 0 trades."""
        return self._last.get(pair) or unseen(pair)

    def _judge(self, pair: str, start: int, at_ms: int, pooled: tuple[int, float, float], may_change: bool,
               forced: bool) -> PairEvidence:
        series = self._pairs.get(pair)
        previous = self._rule_state.get(pair, "shadow")
        pooled_n, pooled_mean, pooled_var = pooled
        pooled_r = pooled_mean if pooled_n else None
        n, months = 0, 0.0
        expectancy = low = high = None
        if series is not None:
            lo, hi = series.window(start, at_ms)
            n, mean, var = series.moments(lo, hi)
            if n:
                months = (at_ms - min(t.entered_ms for t in series.trades[lo:hi])) / MONTH_MS
                expectancy, low, high = self._shrunk(n, mean, var, pooled)
        state = self.rule.next_state(previous, n, expectancy, low) if may_change else previous
        self._rule_state[pair] = state
        return PairEvidence(pair, "live" if forced else state, n, months, expectancy, low, high, pooled_r, forced)

    def _shrunk(self, n: int, mean: float, var: float, pooled: tuple[int, float, float]) -> tuple[float, float, float]:
        """Partial pooling: the pair's mean pulled toward the universe's by n / (n + prior_trades)."""
        pooled_n, pooled_mean, pooled_var = pooled
        w = n / (n + self.rule.prior_trades)
        own_var = var if n >= 2 else pooled_var
        est = w * mean + (1.0 - w) * pooled_mean
        se = math.sqrt(w * w * own_var / n + (1.0 - w) ** 2 * pooled_var / max(pooled_n, 1))
        return est, est - self.rule.z * se, est + self.rule.z * se
