"""Measured answers to "would mtf help?", "should I keep trading?" and "how are you doing?".

Why here: the owner's questions must be answered from his own pairs and the candles Zyn holds
(in a replay only those before the replay clock), never from canned text. Each variant is the
compiled kernel's backtest of the pinned strategy (through `core.research.pair_backtest`), once
plain and once with the asked module on, over the same candles; the history is also cut into
consecutive equal folds so the answer can say in how many the variant beat the plain strategy —
one number over a lucky stretch is not evidence. Standing aside is 0 %. Below a minimum of history
(`MIN_VERDICT_MONTHS`, `MIN_VERDICT_TRADES`) the figures are still given but no verdict is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.domain import Market
from core.kernel.backtest import KernelBacktester
from core.market_data.arrays import CandleArrays
from core.markets.timeframes import timeframe_ms
from core.research.pair_backtest import PairBacktest
from core.strategy.entry_rules import EntryRules

MONTH_MS = 30.4375 * 86_400_000
FOLDS = 4
MIN_VERDICT_MONTHS = 3.0
"""Fewer months than this and one regime (a single trend or chop) is all the candles show: a
difference between variants there is noise about that stretch, not a finding about the strategy."""
MIN_VERDICT_TRADES = 20
"""Fewer plain-strategy trades than this (over all the owner's pairs) and one or two lucky or
unlucky trades decide the sign; the same floor the evidence gate asks of a pair before live."""


@dataclass(frozen=True)
class VariantFigures:
    """One variant over the owner's pairs: mean return per pair (fraction of the pair's account),
    each fold's mean return, and the trades it made."""

    name: str
    mean_return: float
    fold_returns: tuple[float, ...]
    trades: int


@dataclass(frozen=True)
class WhatIf:
    pairs: tuple[str, ...]
    months: float
    plain: VariantFigures
    variant: VariantFigures | None  # None: only the plain strategy was asked about

    def enough_for_verdict(self) -> bool:
        """Whether the history is long enough, and the plain strategy traded enough, to draw a verdict."""
        return self.months >= MIN_VERDICT_MONTHS and self.plain.trades >= MIN_VERDICT_TRADES

    def fold_months(self) -> float:
        """How many months each of the equal folds spans (a "quarter" only when this is about 3)."""
        return self.months / max(len(self.plain.fold_returns), 1)

    def folds_better(self) -> int:
        if self.variant is None:
            return 0
        return sum(v > p for v, p in zip(self.variant.fold_returns, self.plain.fold_returns, strict=True))


def what_if(  # noqa: PLR0913
    held: Mapping[str, CandleArrays],
    timeframe: str,
    market_of: Mapping[str, Market],
    feature: str | None = None,
    rules: EntryRules | None = None,
    *,
    since_ms: int | None = None,
) -> WhatIf | None:
    """Plain vs plain + `feature` (its `rules`) over the held candles of each pair (from
    `since_ms` on, when given); None when no pair has enough candles to say anything."""
    usable = {p: a for p, a in held.items() if len(a) >= 60 and p in market_of}
    if not usable:
        return None
    plain = _variant("plain", usable, timeframe, market_of, None, since_ms)
    other = _variant(feature, usable, timeframe, market_of, rules, since_ms) if feature and rules else None
    spans = [int(a.ts[-1] - (since_ms if since_ms is not None else a.ts[0])) + timeframe_ms(timeframe)
             for a in usable.values()]
    return WhatIf(tuple(sorted(usable)), max(spans) / MONTH_MS, plain, other)


def _variant(name: str, held: Mapping[str, CandleArrays], timeframe: str, market_of: Mapping[str, Market],
             rules: EntryRules | None, since_ms: int | None) -> VariantFigures:
    returns: list[float] = []
    folds: list[list[float]] = [[] for _ in range(FOLDS)]
    trades = 0
    for pair, arrays in sorted(held.items()):
        bt = PairBacktest()
        result = KernelBacktester(pair, timeframe, market_of[pair], bt.cfg, rules=rules).run(arrays)
        curve = np.asarray(result.equity_curve, dtype=np.float64)
        first = 0 if since_ms is None else int(np.searchsorted(arrays.ts, since_ms, side="left"))
        if first >= len(curve):
            continue
        start_equity = curve[first - 1] if first > 0 else result.start_equity
        returns.append(float(curve[-1] / start_equity - 1.0))
        trades += sum(1 for t in result.trades if since_ms is None or t.entry_ts >= since_ms)
        for i, (lo, hi) in enumerate(_fold_bounds(first, len(curve))):
            before = curve[lo - 1] if lo > 0 else result.start_equity
            folds[i].append(float(curve[hi - 1] / before - 1.0) if hi > lo else 0.0)
    return VariantFigures(
        name,
        float(np.mean(returns)) if returns else 0.0,
        tuple(float(np.mean(f)) if f else 0.0 for f in folds),
        trades,
    )


def _fold_bounds(first: int, n: int) -> Sequence[tuple[int, int]]:
    edges = np.linspace(first, n, FOLDS + 1).astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(FOLDS)]
