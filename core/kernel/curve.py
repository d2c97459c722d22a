"""Max drawdown and Sharpe over the equity curve in one compiled pass each: the same arithmetic
(and order of additions) as core.metrics, without building a list or a temporary array per candle,
so a 10-year curve of 1m candles costs no extra memory."""

from __future__ import annotations

import math
from typing import Any

from core.kernel.jit import ensure_cache_dir, njit_cached

ensure_cache_dir()


@njit_cached
def max_drawdown(curve: Any, start: float) -> float:
    peak, worst = start, 0.0
    if peak > 0:
        worst = max(worst, (peak - start) / peak)
    for value in curve:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak)
    return worst


@njit_cached
def return_moments(curve: Any, start: float) -> tuple[int, float, float]:
    """(count, mean, sample variance) of per-candle returns, skipping a non-positive previous value."""
    prev, total, n = start, 0.0, 0
    for value in curve:
        if prev > 0:
            total += value / prev - 1.0
            n += 1
        prev = value
    if n < 2:
        return n, math.nan, math.nan
    mean = total / n
    prev, sq = start, 0.0
    for value in curve:
        if prev > 0:
            sq += (value / prev - 1.0 - mean) ** 2
        prev = value
    return n, mean, sq / (n - 1)
