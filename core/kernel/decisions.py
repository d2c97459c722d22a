"""Per-candle decision codes -> core.strategy.pinned.Decision objects, only when someone shows or stores them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from core.domain import Candle, Market
from core.kernel import codes as C
from core.market_data.arrays import CandleArrays
from core.strategy.entry_rules import EntryRules
from core.strategy.mtf import check
from core.strategy.pinned import Decision, Gate
from core.strategy.risk import RiskConfig, entry_reason, size_entry


class BacktestSetup(Protocol):
    """What the words need from `core.kernel.backtest.KernelBacktester` (named here, so this module
    does not import the backtester that imports it)."""

    @property
    def pair(self) -> str: ...

    @property
    def market(self) -> Market: ...

    @property
    def cfg(self) -> RiskConfig: ...

    @property
    def rules(self) -> EntryRules | None: ...


class RunColumns(Protocol):
    """What the words need from one kernel run's output columns (`core.kernel.backtest._KernelRun`)."""

    codes: Any  # numpy int8 per candle
    sma: Any
    atr: Any
    equity: Any
    exact_equity: dict[int, float]
    gates: dict[int, Gate]


SIZED = (C.SKIP_CANNOT_SIZE, C.SKIP_ROUNDS_ZERO, C.SKIP_ORDERMIN, C.SKIP_COSTMIN, C.ENTER, C.ENTER_CAPPED,
         C.SKIP_STOPMIN, *C.VETOES)


def _opt(x: float) -> float | None:
    return None if math.isnan(x) else x


def decisions_from_codes(bt: BacktestSetup, a: CandleArrays, run: RunColumns) -> list[Decision]:
    n = len(a)
    out: list[Decision] = []
    cache: list[list[Candle]] = []  # the candles as objects, built once if an mtf veto needs its words
    for i in range(n):
        code = int(run.codes[i])
        action, reason = C.ACTIONS[code]
        sma, atr = _opt(float(run.sma[i])), _opt(float(run.atr[i]))
        eq = run.exact_equity.get(i, float(run.equity[i]))
        base = Decision(bt.pair, int(a.ts[i]), action, reason, float(a.close[i]), sma, atr, eq)  # type: ignore[arg-type]
        verdict = run.gates.get(i, Gate())
        if code == C.SKIP_GATE:
            out.append(_replace(base, reason=f"learner gate: {verdict.note}", gate=verdict))
        elif code in SIZED:
            d = _sized(bt, base, float(a.open[i + 1]) if i + 1 < n else base.close, verdict)
            out.append(_replace(d, action="skip", reason=veto_reason(bt, a, i, code, cache)) if code in C.VETOES else d)
        else:
            out.append(base)
    return out


def _sized(bt: BacktestSetup, base: Decision, next_open: float, verdict: Gate) -> Decision:
    atr = base.atr or 0.0
    size = size_entry(base.equity or 0.0, atr, next_open, bt.market, bt.cfg, verdict.factor)
    stop = next_open - bt.cfg.stop_atr * atr
    target = next_open + bt.cfg.target_atr * atr
    if size.amount <= 0:
        return _replace(base, action="skip", reason=size.reason, entry_price=next_open, stop=stop, target=target,
                        gate=verdict)
    reason = entry_reason(bt.cfg, size.capped)
    return _replace(base, action="enter", reason=reason, amount=size.amount, entry_price=next_open, stop=stop,
                    target=target, gate=verdict)


def _replace(base: Decision, **changes: object) -> Decision:
    return replace(base, **changes)  # type: ignore[arg-type]


def veto_reason(bt: BacktestSetup, a: CandleArrays, i: int, code: int, cache: list[list[Candle]]) -> str:
    """The words core.strategy.entry_rules.EntryRules.veto gives for a vetoed entry (built only when shown)."""
    rules = bt.rules
    assert rules is not None  # noqa: S101 - a veto code needs the rules
    if code == C.VETO_MTF and not cache:
        cache.append(a.to_candles())
    return veto_words(rules, cache[0] if cache else [], i, code)


def veto_words(rules: EntryRules, candles: Sequence[Candle], i: int, code: int) -> str:
    if code == C.VETO_TARGET:
        return (f"signal ignored: daily profit target reached (+{rules.target.pct * 100:g}%);"
                " no new entries until the next UTC day")
    if code == C.VETO_SESSION:
        return f"signal ignored: outside the trading sessions ({rules.sessions.describe()})"

    return f"signal ignored: {check(candles, i, rules.timeframe, rules.confirming)}"
