"""Performance figures reported honestly: undefined ratios are None (JSON null), never infinity."""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.domain import ClosedTrade


def summarize(
    trades: Sequence[ClosedTrade], equity_curve: Sequence[float], start_equity: float, periods_per_year: float
) -> dict[str, float | int | None]:
    wins = [t.pnl for t in trades if t.pnl > 0]
    losses = [t.pnl for t in trades if t.pnl <= 0]
    gross_loss = -sum(losses)
    final = equity_curve[-1] if equity_curve else start_equity
    return {
        "trades": len(trades),
        "wins": len(wins),
        "losses": len(losses),
        "win_rate": len(wins) / len(trades) if trades else None,
        "profit_factor": (sum(wins) / gross_loss) if gross_loss > 0 else None,
        "expectancy_r": sum(t.r_multiple for t in trades) / len(trades) if trades else None,
        "total_return": final / start_equity - 1.0,
        "max_drawdown": max_drawdown([start_equity, *equity_curve]),
        "sharpe": sharpe(equity_curve, start_equity, periods_per_year),
        "final_equity": final,
        "fees_paid": sum(t.fees for t in trades),
    }


def max_drawdown(curve: Sequence[float]) -> float:
    """Largest peak-to-trough fall as a fraction of the peak (0.12 = 12 %)."""
    peak, worst = -math.inf, 0.0
    for value in curve:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak)
    return worst


def sharpe(curve: Sequence[float], start: float, periods_per_year: float) -> float | None:
    """Annualised Sharpe of per-candle equity returns (risk-free 0); None when undefined."""
    prev, rets = start, []
    for value in curve:
        if prev > 0:
            rets.append(value / prev - 1.0)
        prev = value
    if len(rets) < 2:
        return None
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(periods_per_year)
