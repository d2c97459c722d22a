"""core.metrics.summarize over a numpy equity curve: the same figures without a Python loop per candle."""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.kernel.arrays import F64
from core.metrics import ClosedTrade


def max_drawdown(curve: F64, start: float) -> float:
    from core.kernel import curve as compiled

    return float(compiled.max_drawdown(curve, start))


def sharpe(curve: F64, start: float, periods_per_year: float) -> float | None:
    from core.kernel import curve as compiled

    n, mean, var = compiled.return_moments(curve, start)
    if n < 2 or var <= 0:
        return None
    return float(mean) / math.sqrt(var) * math.sqrt(periods_per_year)


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
