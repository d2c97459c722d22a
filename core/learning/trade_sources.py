"""One trade, counted once: backtest (bootstrap) trades stand in only for history Zyn did not trade.

Why: a fresh install bootstraps the learner from a backtest over the candles it has; when those
candles overlap the period Zyn then paper/live-traded (a replay, or a bootstrap run after some
trading), the same market moves are counted twice — once simulated, once traded (the trial's
`trained_on 82` = 66 backtest + 16 paper). Rule: per pair, a backtest trade counts only if it
closed at or before the entry of that pair's first own (paper, validate, live) trade; from then on
only Zyn's own trades count. Every figure that mixes the two says how many of each it used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

BACKTEST_SOURCES = frozenset({"bootstrap", "backtest"})


class _Trade(Protocol):
    @property
    def pair(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def entry_ts(self) -> int: ...
    @property
    def exit_ts(self) -> int: ...


T = TypeVar("T", bound=_Trade)


def is_backtest(source: str) -> bool:
    return source in BACKTEST_SOURCES


def counted_once(trades: Iterable[T]) -> list[T]:
    """Own trades all; a pair's backtest trades only up to its first own trade's entry."""
    items = list(trades)
    first_own: dict[str, int] = {}
    for t in items:
        if not is_backtest(t.source):
            first_own[t.pair] = min(first_own.get(t.pair, t.entry_ts), t.entry_ts)
    return [
        t
        for t in items
        if not is_backtest(t.source) or t.pair not in first_own or t.exit_ts <= first_own[t.pair]
    ]


def source_split(trades: Sequence[_Trade]) -> tuple[int, int]:
    """(backtest trades, own trades) among `trades`."""
    backtest = sum(1 for t in trades if is_backtest(t.source))
    return backtest, len(trades) - backtest
