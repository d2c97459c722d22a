"""One pair's plain-strategy record kept current candle by candle: `plain_trades` of the candles
held at each close, computed from the new candles only (core/kernel/resumable.py). With `rules`
(a factory of the advanced modules' EntryRules), the record of the strategy with those modules on:
`plain_trades(..., rules=rules())` of the same candles.

Why: the live evidence gate asks for every pair's record at every close; from scratch that is a
kernel run over the pair's whole history each time. Here the record is extended while the candles
handed in extend the ones seen before (same values, more candles); any other change (a candle
corrected, a shorter history, another market) starts the record again from scratch, so the answer
is always `plain_trades` of exactly the candles handed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.domain import Market
from core.evidence.plain import as_evidence, plain_trades
from core.evidence.records import EvidenceTrade
from core.kernel.flavour import Flavour
from core.kernel.resumable import ResumableRun
from core.market_data.arrays import CandleArrays
from core.research.pair_backtest import PairBacktest
from core.strategy.entry_rules import EntryRules

START_EQUITY = 10_000.0  # plain_run's: PairBacktest.run's default


class PlainRecord:
    """The plain strategy's closed trades on one pair, as evidence, for candles that only grow."""

    def __init__(self, pair: str, timeframe: str, backtest: PairBacktest | None = None,
                 rules: Callable[[], EntryRules] | None = None, flavour: Flavour | None = None) -> None:
        self.pair, self.timeframe = pair, timeframe
        self._bt = backtest or PairBacktest()
        self._rules = rules  # the advanced modules the record is of (None: plain); a fresh object per run
        self._flavour = flavour  # the kernel's flavour (None: by each call's work; core/kernel/flavour.py)
        self._market: Market | None = None
        self._seen: CandleArrays | None = None  # the candles the record covers
        self._run: ResumableRun | None = None
        self._trades: list[EvidenceTrade] = []

    def trades(self, market: Market, held: CandleArrays) -> list[EvidenceTrade]:
        """`plain_trades(pair, timeframe, market, held)`, at the cost of the candles new since the last call."""
        rules = self._rules
        if not self._bt.compiled:  # another strategy on the reference loop: no resumable state
            return plain_trades(self.pair, self.timeframe, market, held, self._bt, rules() if rules else None)
        if self._run is None or market != self._market or not _extends(held, self._seen):
            self._run = ResumableRun(self.pair, self.timeframe, market, self._bt.cfg, START_EQUITY,
                                     rules() if rules else None, flavour=self._flavour)
            self._market, self._trades = market, []
        self._trades.extend(as_evidence(self._run.closed(held), self.timeframe))
        self._seen = held
        return list(self._trades)


def _extends(held: CandleArrays, seen: CandleArrays | None) -> bool:
    """True when `held` starts with exactly the candles of `seen` (the state's inputs are unchanged).
    Compared by value every time (~4 us a column for a month of hourly candles), not by identity:
    a store may hand back the same prefix rebuilt, or a corrected one."""
    if seen is None:
        return True
    n = len(seen)
    if len(held) < n:
        return False
    return all(np.array_equal(new[:n], old) for new, old in zip(_columns(held), _columns(seen), strict=True))


def _columns(a: CandleArrays) -> tuple[np.ndarray, ...]:
    return a.ts, a.open, a.high, a.low, a.close
