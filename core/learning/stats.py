"""Small-sample statistics used by the analyzer and the learner.

Why a module of its own: every number Zyn tells its owner about its own record must carry its
uncertainty (Wilson interval for win rates, a normal interval for mean R), and the learner's
decisions must use the very same arithmetic the owner is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson(wins: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion: honest at small n, never outside [0, 1]."""
    if n <= 0:
        return (0.0, 1.0)
    p = wins / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (n-1); 0.0 below two values."""
    n = len(values)
    if n < 2:
        return 0.0
    m = sum(values) / n
    return math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))


def mean_ci(values: Sequence[float], z: float = Z95) -> tuple[float, float, float] | None:
    """(mean, low, high): normal-approximation interval of a mean; None for no data.

    With one value the interval is infinite on both sides: one trade proves nothing.
    """
    if not values:
        return None
    m = sum(values) / len(values)
    if len(values) < 2:
        return (m, -math.inf, math.inf)
    half = z * stdev(values) / math.sqrt(len(values))
    return (m, m - half, m + half)


def shrink(n: int, group_mean: float, overall: float, k: float) -> float:
    """Empirical-Bayes style shrinkage: k pseudo-trades at the overall mean pull small groups in."""
    if n + k <= 0:
        return overall
    return (n * group_mean + k * overall) / (n + k)


def profit_factor(pnls: Sequence[float]) -> float | None:
    """Gross profit / gross loss; None when there is no loss (undefined, never infinity)."""
    gross_win = sum(p for p in pnls if p > 0)
    gross_loss = -sum(p for p in pnls if p <= 0)
    return gross_win / gross_loss if gross_loss > 0 else None


def max_drawdown_abs(pnls: Sequence[float]) -> float:
    """Largest fall of cumulative P&L from its running peak (peak starts at 0), in money."""
    peak = cum = worst = 0.0
    for p in pnls:
        cum += p
        peak = max(peak, cum)
        worst = max(worst, peak - cum)
    return worst


def tercile_cuts(values: Sequence[float]) -> tuple[float, float] | None:
    """The 1/3 and 2/3 quantiles (linear interpolation); None below three values."""
    xs = sorted(values)
    if len(xs) < 3:
        return None
    return (_quantile(xs, 1 / 3), _quantile(xs, 2 / 3))


def _quantile(xs: Sequence[float], q: float) -> float:
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def tercile_label(value: float | None, cuts: tuple[float, float] | None, names: Sequence[str]) -> str:
    """Which third `value` falls in; 'unknown' without a value or cut points."""
    if value is None or cuts is None or math.isnan(value):
        return "unknown"
    if value <= cuts[0]:
        return names[0]
    return names[1] if value <= cuts[1] else names[2]


def pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f} %"


def rate_text(wins: int, n: int, small_n: int = 20) -> str:
    """'3 of 5 (60 %, 95 % CI 23–88 %), small sample' — a win rate never shown bare."""
    if n <= 0:
        return "no trades"
    lo, hi = wilson(wins, n)
    text = f"{wins} of {n} ({pct(wins / n)}, 95 % CI {100 * lo:.0f}–{100 * hi:.0f} %)"
    return text + (", small sample" if n < small_n else "")
