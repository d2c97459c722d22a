"""core.research.metrics.summarize over a numpy equity curve: the same figures without a Python loop per candle."""

from __future__ import annotations

import math

import numpy as np

from core.market_data.arrays import F64

CHUNK = 1 << 18  # numpy over the curve 262,144 values at a time: bounded temporaries (~6 MB)


def max_drawdown(curve: F64, start: float) -> float:
    """Largest peak-to-trough fall as a fraction of the peak, like core.research.metrics.max_drawdown."""
    peak, worst = start, 0.0
    for lo in range(0, curve.shape[0], CHUNK):
        part = curve[lo : lo + CHUNK]
        peaks = np.maximum.accumulate(part)
        np.maximum(peaks, peak, out=peaks)
        ok = peaks > 0
        if ok.any():
            worst = max(worst, float(((peaks[ok] - part[ok]) / peaks[ok]).max()))
        peak = float(peaks[-1])
    return worst


def _returns(curve: F64, start: float, lo: int) -> F64:
    part = curve[lo : lo + CHUNK]
    prev = np.concatenate(([start if lo == 0 else curve[lo - 1]], part[:-1]))
    ok = prev > 0
    out: F64 = part[ok] / prev[ok] - 1.0
    return out


def sharpe(curve: F64, start: float, periods_per_year: float) -> float | None:
    """Annualised Sharpe of per-candle returns (two passes, like core.research.metrics.sharpe)."""
    chunks = range(0, curve.shape[0], CHUNK)
    n = sum(int(_returns(curve, start, lo).shape[0]) for lo in chunks)
    if n < 2:
        return None
    mean = sum(float(_returns(curve, start, lo).sum()) for lo in chunks) / n
    var = sum(float(((_returns(curve, start, lo) - mean) ** 2).sum()) for lo in chunks) / (n - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(periods_per_year)


def summarize(
    pnl: F64, fees: F64, r_multiple: F64, curve: F64, start_equity: float, periods_per_year: float
) -> dict[str, float | int | None]:
    """core.research.metrics.summarize's figures from per-trade arrays."""
    n = int(pnl.shape[0])
    wins, losses = pnl[pnl > 0], pnl[pnl <= 0]
    gross_loss = -float(losses.sum())
    final = float(curve[-1]) if curve.shape[0] else start_equity
    return {
        "trades": n,
        "wins": int(wins.shape[0]),
        "losses": int(losses.shape[0]),
        "win_rate": int(wins.shape[0]) / n if n else None,
        "profit_factor": (float(wins.sum()) / gross_loss) if gross_loss > 0 else None,
        "expectancy_r": float(r_multiple.sum()) / n if n else None,
        "total_return": final / start_equity - 1.0,
        "max_drawdown": max_drawdown(curve, start_equity),
        "sharpe": sharpe(curve, start_equity, periods_per_year),
        "final_equity": final,
        "fees_paid": float(fees.sum()),
    }
