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

With that V the DSR is Phi(SR sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2) - c(N)), c(N) the
bracket of SR* above: the observed Sharpe's z-score minus the luck of N trials. The contract calls
the DSR a probability in [0, 1], so series the textbook formula leaves undefined get the value that
formula takes in the limit, never "no number" (a servant that never trades must still be judged):

- Fewer than two returns: none or one day says nothing about a Sharpe (the estimator's variance
  divides by T - 1 = 0, or there is no return at all), so the z-score is 0 and the DSR is
  Phi(-c(N)), the same as for no excess return at all.
- All returns identical and zero (the servant never moved the account): SR = 0, no excess return.
  At SR = 0 the skewness and kurtosis terms vanish (they multiply SR and SR^2), so whatever the
  convention for the undefined moments of a flat series the z-score is 0 and the DSR is Phi(-c(N)):
  0.5 for one variant, below 0.5 whenever SR* > 0 (more than one variant).
- All returns identical and non-zero: SR = +-infinity. The moments are undefined; we take the
  normal shape (g3 = 0, g4 = 3, Lo 2002's V[SR] = (1 + SR^2/2)/(T - 1)), whose limit is a z-score
  of +-sqrt(2 (T - 1)): a steady gain over few days is still only as strong as its number of days.
- 1 - g3 SR + (g4 - 1)/4 SR^2 >= (1 - g3 SR/2)^2 >= 0 (Pearson: g4 >= 1 + g3^2); it reaches 0
  only for a two-point series with g3 SR = 2 (or by rounding), where the z-score goes to
  +-infinity with the sign of SR: DSR 1 or 0.
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


def _luck(trials: int) -> float:
    """c(N): SR* in units of the Sharpe estimator's standard deviation (0 for one trial)."""
    if trials <= 1:
        return 0.0
    a = _N.inv_cdf(1.0 - 1.0 / trials)
    b = _N.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return (1.0 - EULER_GAMMA) * a + EULER_GAMMA * b


def expected_max_sharpe(trials: int, sr_variance: float) -> float:
    """SR*: the Sharpe the best of `trials` skill-less variants reaches by chance (0 for one trial)."""
    if trials <= 1 or sr_variance <= 0:
        return 0.0
    return math.sqrt(sr_variance) * _luck(trials)


def _flat(level: float, t: int, trials: int) -> float:
    """DSR of T returns that all equal `level`: SR = 0 or +-inf, by the module's conventions."""
    z = 0.0 if level == 0 else math.copysign(math.sqrt(2.0 * (t - 1)), level)
    return _N.cdf(z - _luck(trials))


def deflated_sharpe(returns: Sequence[float], trials: int) -> float:
    """P(true Sharpe > SR*), always in [0, 1]; flat and short series by the module's conventions."""
    t = len(returns)
    if t < 2:
        return _N.cdf(-_luck(trials))  # no information: z-score 0
    if min(returns) == max(returns):  # exact: the mean of equal floats may miss them by an ulp
        return _flat(returns[0], t, trials)
    mean, sd, skew, kurt = _moments(returns)
    if sd == 0:  # the values differ but their spread underflows to 0
        return _flat(mean, t, trials)
    sr = mean / sd
    denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr
    if denom <= 0:  # the estimator's variance is 0: the z-score is +-inf with the sign of SR
        return 1.0 if sr > 0 else 0.0
    sr_star = expected_max_sharpe(trials, denom / (t - 1))
    return _N.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(denom))
