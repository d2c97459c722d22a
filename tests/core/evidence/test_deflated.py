"""The deflated Sharpe ratio: a probability that falls as more variants were tried."""

from __future__ import annotations

import random

from core.evidence.deflated import deflated_sharpe, expected_max_sharpe


def test_more_variants_tried_deflate_the_same_returns() -> None:
    rng = random.Random(7)
    returns = [rng.gauss(0.001, 0.01) for _ in range(500)]
    one, five, hundred = (deflated_sharpe(returns, n) for n in (1, 5, 100))
    assert one is not None and five is not None and hundred is not None
    assert 0.0 <= hundred < five < one <= 1.0


def test_losing_returns_give_a_low_probability_and_flat_ones_none() -> None:
    rng = random.Random(3)
    losing = [rng.gauss(-0.002, 0.01) for _ in range(500)]
    p = deflated_sharpe(losing, 1)
    assert p is not None and p < 0.05
    assert deflated_sharpe([0.0] * 100, 5) is None
    assert deflated_sharpe([0.01, 0.02], 1) is None


def test_the_expected_maximum_grows_with_the_trials() -> None:
    assert expected_max_sharpe(1, 0.01) == 0.0
    assert 0 < expected_max_sharpe(5, 0.01) < expected_max_sharpe(50, 0.01)
