"""The deflated Sharpe ratio: a probability that falls as more variants were tried, defined for every series."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import pytest

from core.evidence.deflated import EULER_GAMMA, deflated_sharpe, expected_max_sharpe

PHI = NormalDist().cdf


def luck(trials: int) -> float:
    """c(N) written out from the paper (SR* over the Sharpe estimator's standard deviation), not from the module."""
    z = NormalDist().inv_cdf
    return (1 - EULER_GAMMA) * z(1 - 1 / trials) + EULER_GAMMA * z(1 - 1 / (trials * math.e))


def test_more_variants_tried_deflate_the_same_returns() -> None:
    rng = random.Random(7)
    returns = [rng.gauss(0.001, 0.01) for _ in range(500)]
    one, five, hundred = (deflated_sharpe(returns, n) for n in (1, 5, 100))
    assert one is not None and five is not None and hundred is not None
    assert 0.0 <= hundred < five < one <= 1.0


def test_losing_returns_give_a_low_probability() -> None:
    rng = random.Random(3)
    losing = [rng.gauss(-0.002, 0.01) for _ in range(500)]
    assert deflated_sharpe(losing, 1) < 0.05


def test_the_figures_of_a_trading_series_are_pinned() -> None:
    """The textbook formula on a fixed series, so a change to the flat-series conventions cannot move them."""
    returns = [0.01, -0.005, 0.002, 0.0, 0.007, -0.012, 0.004, 0.0, 0.003, -0.001]
    n = len(returns)
    mean = sum(returns) / n
    m2 = sum((x - mean) ** 2 for x in returns) / n
    skew = sum((x - mean) ** 3 for x in returns) / n / m2**1.5
    kurt = sum((x - mean) ** 4 for x in returns) / n / m2**2
    sr = mean / math.sqrt(m2)
    denom = 1 - skew * sr + (kurt - 1) / 4 * sr**2
    for trials in (1, 5, 40):
        star = math.sqrt(denom / (n - 1)) * (luck(trials) if trials > 1 else 0.0)
        assert deflated_sharpe(returns, trials) == pytest.approx(PHI((sr - star) * math.sqrt(n - 1) / math.sqrt(denom)))


@pytest.mark.parametrize("days", [3, 30, 700])
def test_a_servant_that_never_trades_gets_a_number_below_a_coin_flip(days: int) -> None:
    """All-zero returns: SR = 0, so the skew/kurtosis terms vanish and the DSR is Phi(-c(N)) whatever T is."""
    assert deflated_sharpe([0.0] * days, 1) == 0.5  # one variant: no luck to discount, no evidence either way
    five = deflated_sharpe([0.0] * days, 5)
    assert five == pytest.approx(PHI(-luck(5))) and 0.11 < five < 0.12
    assert 0.0 < deflated_sharpe([0.0] * days, 100) < five < 0.5


def test_no_or_one_return_carries_no_evidence() -> None:
    for returns in ([], [0.0], [0.03], [-0.03]):
        assert deflated_sharpe(returns, 1) == 0.5
        assert deflated_sharpe(returns, 5) == pytest.approx(PHI(-luck(5)))


@pytest.mark.parametrize("days", [10, 100])
def test_one_non_zero_day_is_judged_by_the_formula(days: int) -> None:
    """One gain (or loss) among zeros: a two-point series, SR sqrt(T-1) = 1 and the variance term (1/(2(1-1/T)))^2,
    so z = +-2(T-1)/T - c(N)."""
    gain = [0.0] * (days - 1) + [0.02]
    loss = [0.0] * (days - 1) + [-0.02]
    z = 2 * (days - 1) / days
    assert deflated_sharpe(gain, 1) == pytest.approx(PHI(z))
    assert deflated_sharpe(gain, 5) == pytest.approx(PHI(z - luck(5)))
    assert deflated_sharpe(loss, 1) == pytest.approx(PHI(-z))
    assert deflated_sharpe(loss, 5) == pytest.approx(PHI(-z - luck(5)))
    assert 0.0 <= deflated_sharpe(loss, 5) < 0.5 < deflated_sharpe(gain, 1) <= 1.0


def test_constant_non_zero_returns_are_as_strong_as_their_number_of_days() -> None:
    """SR = +-inf, normal shape: the limit z = +-sqrt(2(T-1)); 0.1 is not exact in binary, so its mean may miss it."""
    for days in (2, 3, 10):
        z = math.sqrt(2 * (days - 1))
        assert deflated_sharpe([0.1] * days, 1) == pytest.approx(PHI(z))
        assert deflated_sharpe([0.1] * days, 5) == pytest.approx(PHI(z - luck(5)))
        assert deflated_sharpe([-0.1] * days, 5) == pytest.approx(PHI(-z - luck(5)))
    assert deflated_sharpe([0.1] * 3, 5) < deflated_sharpe([0.1] * 10, 5) < deflated_sharpe([0.1] * 10, 1) < 1.0


def test_a_series_with_no_estimator_variance_is_certain_by_its_sign() -> None:
    """Two points with g3 SR = 2 make 1 - g3 SR + (g4-1)/4 SR^2 = (1 - g3 SR/2)^2 = 0 (here [1, 1/3, 1/3, 1/3])."""
    for scale in (1.0, -1.0):
        p = deflated_sharpe([scale, scale / 3, scale / 3, scale / 3], 5)
        assert 0.0 <= p <= 1.0 and (p > 0.99 if scale > 0 else p < 0.01)


def test_variants_tried_of_one_means_no_deflation() -> None:
    """One trial: SR* = 0, so the DSR is the probabilistic Sharpe ratio against 0."""
    rng = random.Random(11)
    returns = [rng.gauss(0.0005, 0.01) for _ in range(250)]
    one, zero_trials = deflated_sharpe(returns, 1), deflated_sharpe(returns, 0)
    assert one == zero_trials and deflated_sharpe(returns, 2) < one
    assert 0.0 <= one <= 1.0


def test_the_expected_maximum_grows_with_the_trials() -> None:
    assert expected_max_sharpe(1, 0.01) == 0.0
    assert 0 < expected_max_sharpe(5, 0.01) < expected_max_sharpe(50, 0.01)
