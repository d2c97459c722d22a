"""Bailey & López de Prado's deflated Sharpe ratio: the probability that a Sharpe ratio is above
what the best of `trials` skill-less variants would show by luck.

Why: the gate's rule was chosen among several variants; the more variants tried, the higher the
best one's Sharpe by chance alone. DSR = PSR(SR*), where PSR is the probabilistic Sharpe ratio
(non-normal returns: skewness g3, kurtosis g4) and SR* = sqrt(V) x ((1 - e) Z(1 - 1/N) +
e Z(1 - 1/(N e))) the expected maximum Sharpe of N trials (e = Euler-Mascheroni, Z the normal
quantile). V, the variance of the trials' Sharpe ratios, is not known for variants we did not
keep the series of, so it is estimated by the variance of the Sharpe estimator itself,
(1 - g3 SR + (g4 - 1)/4 SR^2) / (T - 1) (Bailey & López de Prado 2014, eq. for V[SR^]).
Everything is per period (daily returns), not annualised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


def _moments(returns: Sequence[float]) -> tuple[float, float, float, float]:
    """(mean, standard deviation, skewness, kurtosis) — kurtosis not excess (3 for normal)."""
    n = len(returns)
    mean = math.fsum(returns) / n
    m2 = math.fsum((x - mean) ** 2 for x in returns) / n
    if m2 <= 0:
        return mean, 0.0, 0.0, 3.0
    m3 = math.fsum((x - mean) ** 3 for x in returns) / n
    m4 = math.fsum((x - mean) ** 4 for x in returns) / n
    return mean, math.sqrt(m2), m3 / m2**1.5, m4 / m2**2


def expected_max_sharpe(trials: int, sr_variance: float) -> float:
    """SR*: the Sharpe the best of `trials` skill-less variants reaches by chance (0 for one trial)."""
    if trials <= 1 or sr_variance <= 0:
        return 0.0
    a = _N.inv_cdf(1.0 - 1.0 / trials)
    b = _N.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return math.sqrt(sr_variance) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)


def deflated_sharpe(returns: Sequence[float], trials: int) -> float | None:
    """P(true Sharpe > SR*) in [0, 1]; None below 3 returns or for a flat series (no Sharpe)."""
    t = len(returns)
    if t < 3:
        return None
    mean, sd, skew, kurt = _moments(returns)
    if sd == 0:
        return None
    sr = mean / sd
    denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr
    if denom <= 0:
        return None
    sr_star = expected_max_sharpe(trials, denom / (t - 1))
    return _N.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(denom))
