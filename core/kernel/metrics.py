"""core.metrics.summarize over a numpy equity curve: the same figures without a Python loop per candle."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.kernel.arrays import F64
from core.metrics import ClosedTrade


def max_drawdown(curve: F64, start: float) -> float:
    values = np.concatenate(([start], curve))
    peak = np.maximum.accumulate(values)
    ok = peak > 0
    if not ok.any():
        return 0.0
    return float(max(0.0, float(((peak[ok] - values[ok]) / peak[ok]).max())))


def sharpe(curve: F64, start: float, periods_per_year: float) -> float | None:
    prev = np.concatenate(([start], curve[:-1]))
    ok = prev > 0
    rets = curve[ok] / prev[ok] - 1.0
    if rets.shape[0] < 2:
        return None
    var = float(rets.var(ddof=1))
    if var <= 0:
        return None
    return float(rets.mean()) / math.sqrt(var) * math.sqrt(periods_per_year)


def summarize(
    trades: Sequence[ClosedTrade], curve: F64, start_equity: float, periods_per_year: float
) -> dict[str, float | int | None]:
    wins = [t.pnl for t in trades if t.pnl > 0]
    losses = [t.pnl for t in trades if t.pnl <= 0]
    gross_loss = -sum(losses)
    final = float(curve[-1]) if curve.shape[0] else start_equity
    return {
        "trades": len(trades),
        "wins": len(wins),
        "losses": len(losses),
        "win_rate": len(wins) / len(trades) if trades else None,
        "profit_factor": (sum(wins) / gross_loss) if gross_loss > 0 else None,
        "expectancy_r": sum(t.r_multiple for t in trades) / len(trades) if trades else None,
        "total_return": final / start_equity - 1.0,
        "max_drawdown": max_drawdown(curve, start_equity),
        "sharpe": sharpe(curve, start_equity, periods_per_year),
        "final_equity": final,
        "fees_paid": sum(t.fees for t in trades),
    }
