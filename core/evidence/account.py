"""One shared account over many pairs: which plain-strategy trades it takes, sized on its equity.

Why trade-level: the plain strategy's signals and exits on a pair do not depend on the gate
(shadow trades are the entries it would have made), so a walk-forward computes each pair's
trades once with the kernel and then asks, per entry, whether the shared account takes it: the
gate (live or shadow), the account-wide risk cap (core.strategy.account_risk, the autopilot's
own rule) and the strategy's sizing (core.strategy.risk.size_entry) on the account's equity at
the signal candle's close. P&L = amount x (exit - entry) less both fees; the account's equity
is marked to market at every candle close of the union of the pairs' candles.
Not modelled here (said so in the protocol): the account-wide daily-loss guard; each pair's
kill-switch and cool-off act on the pair's own plain run, as its trades already carry them.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from core.domain import ClosedTrade, Market
from core.market_data.arrays import CandleArrays
from core.strategy.account_risk import AccountRiskConfig, account_risk_refusal, position_risk
from core.strategy.risk import RiskConfig, size_entry

DAY_MS = 86_400_000


@dataclass(frozen=True)
class PairTape:
    """One pair as the account needs it: its market, candle times and closes, its plain trades."""

    pair: str
    market: Market
    ts: list[int]
    close: list[float]
    trades: list[ClosedTrade]

    @classmethod
    def of(cls, pair: str, market: Market, arrays: CandleArrays, trades: Sequence[ClosedTrade]) -> PairTape:
        return cls(pair, market, arrays.ts.tolist(), arrays.close.tolist(), list(trades))


@dataclass
class _Open:
    pair: str
    amount: float
    entry: float
    risk: Decimal
    trade: ClosedTrade


@dataclass
class AccountRun:
    """The shared account's path: equity at every union candle close, and what each pair did."""

    times: list[int]  # candle close times (ms)
    equity: list[float]
    start_equity: float
    taken: dict[str, int] = field(default_factory=dict)
    refused: dict[str, dict[str, int]] = field(default_factory=dict)  # pair -> reason -> count
    pnl: dict[str, float] = field(default_factory=dict)

    @property
    def total_return(self) -> float:
        return (self.equity[-1] if self.equity else self.start_equity) / self.start_equity - 1.0

    @property
    def max_drawdown(self) -> float:
        if not self.equity:
            return 0.0
        curve = np.asarray([self.start_equity, *self.equity])
        peaks = np.maximum.accumulate(curve)
        return float(np.max((peaks - curve) / peaks))

    def daily_returns(self) -> list[float]:
        """Close-to-close returns of the equity at the last candle close of each UTC day."""
        last: dict[int, float] = {}
        for t, e in zip(self.times, self.equity, strict=True):
            last[(t - 1) // DAY_MS] = e
        days = [last[d] for d in sorted(last)]
        prev = [self.start_equity, *days[:-1]]
        return [b / a - 1.0 for a, b in zip(prev, days, strict=True)]


def union_times(tapes: Sequence[PairTape]) -> list[int]:
    """Every candle open time of any pair, ascending (the account's clock)."""
    return sorted({t for tape in tapes for t in tape.ts})


def simulate(  # noqa: PLR0913
    tapes: Sequence[PairTape],
    live: Mapping[str, Sequence[bool]],
    tf_ms: int,
    cfg: RiskConfig,
    account: AccountRiskConfig,
    start_equity: float = 10_000.0,
    times: Sequence[int] | None = None,
) -> AccountRun:
    """Walk the union clock; `live[pair][j]` says whether the pair's j-th trade is a live signal."""
    clock = list(times) if times is not None else union_times(tapes)
    entries: dict[int, list[tuple[PairTape, int]]] = {}
    for tape in tapes:
        for j, t in enumerate(tape.trades):
            if live[tape.pair][j]:
                entries.setdefault(t.entry_ts, []).append((tape, j))
    by_pair = {tape.pair: tape for tape in tapes}
    run = AccountRun([t + tf_ms for t in clock], [], start_equity,
                     {p: 0 for p in by_pair}, {p: {} for p in by_pair}, {p: 0.0 for p in by_pair})
    cash, fee = start_equity, cfg.fee_rate
    book: list[_Open] = []
    marks: dict[str, float] = {}
    equity = start_equity
    for now in clock:
        for tape, j in entries.get(now, ()):  # decided at the previous close, on that close's equity
            trade = tape.trades[j]
            opened = _enter(trade, tape.market, equity, book, cfg, account)
            if isinstance(opened, str):
                reasons = run.refused[tape.pair]
                reasons[opened] = reasons.get(opened, 0) + 1
                continue
            cash -= opened.amount * opened.entry * (1.0 + fee)
            book.append(opened)
            run.taken[tape.pair] += 1
        still: list[_Open] = []
        for pos in book:
            if pos.trade.exit_ts == now:
                proceeds = pos.amount * pos.trade.exit_price * (1.0 - fee)
                cash += proceeds
                run.pnl[pos.pair] += proceeds - pos.amount * pos.entry * (1.0 + fee)
            else:
                still.append(pos)
        book = still
        equity = cash
        for pos in book:
            mark = _close_at(by_pair[pos.pair], now, marks)
            equity += pos.amount * mark
        run.equity.append(equity)
    return run


def _close_at(tape: PairTape, t: int, marks: dict[str, float]) -> float:
    """The pair's close of the candle at `t`, else its last close before (a gap holds the mark)."""
    i = bisect.bisect_right(tape.ts, t) - 1
    if i >= 0:
        marks[tape.pair] = tape.close[i]
    return marks.get(tape.pair, tape.close[0])


def _enter(trade: ClosedTrade, market: Market, equity: float, book: Sequence[_Open], cfg: RiskConfig,
           account: AccountRiskConfig) -> _Open | str:
    """The position the account opens for this signal, or why not (sizing or the account cap)."""
    size = size_entry(equity, trade.atr, trade.entry_price, market, cfg, trade.size_factor)
    if size.amount <= 0:
        return "size"
    entry, stop = Decimal(repr(trade.entry_price)), Decimal(repr(trade.stop))
    risk = position_risk(size.amount, entry, stop)
    refusal = account_risk_refusal([p.risk for p in book], risk, Decimal(repr(equity)), account)
    if refusal:
        return refusal
    return _Open(trade.pair, float(size.amount), trade.entry_price, risk, trade)
