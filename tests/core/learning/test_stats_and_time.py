"""Statistics and time context against hand-computed values."""

from __future__ import annotations

import math

import pytest

from core.domain import UserError
from core.learning.stats import max_drawdown_abs, mean_ci, profit_factor, rate_text, shrink, tercile_cuts, wilson
from core.time_context import features, hour_bucket, session_of, time_context

from .helpers import MONDAY, H


def test_wilson_matches_hand_computation() -> None:
    lo, hi = wilson(3, 5)
    # p=.6, z=1.96: centre=(.6+.38415)/1.76829=.55654, half=1.96*sqrt(.048+.038415)/1.76829=.32584
    assert lo == pytest.approx(0.2307, abs=1e-4)
    assert hi == pytest.approx(0.8824, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_small_sample_text_is_never_a_bare_percentage() -> None:
    assert rate_text(3, 5) == "3 of 5 (60 %, 95 % CI 23–88 %), small sample"
    assert rate_text(30, 60).endswith("%)")


def test_profit_factor_drawdown_mean_ci_shrink() -> None:
    assert profit_factor([100, -50, 50, -25]) == pytest.approx(2.0)
    assert profit_factor([10, 20]) is None
    assert max_drawdown_abs([100, -30, -50, 200, -10]) == pytest.approx(80)
    ci = mean_ci([1.0, -1.0, 2.0, -1.0])  # mean .25, sd 1.5, se .75
    assert ci is not None
    m, lo, hi = ci
    assert (
        m == 0.25 and hi - m == pytest.approx(1.959964 * 0.75, rel=1e-6) and lo == pytest.approx(2 * m - hi)
    )
    assert mean_ci([1.0]) == (1.0, -math.inf, math.inf)
    assert shrink(10, -1.0, 0.2, 20) == pytest.approx((-10 + 4) / 30)
    assert tercile_cuts([1, 2, 3, 4, 5, 6, 7]) == pytest.approx((3.0, 5.0))


@pytest.mark.parametrize(
    ("hour", "session"),
    [
        (0, "Asia"),
        (7, "Asia+Europe"),
        (8, "Asia+Europe"),
        (9, "Europe"),
        (13, "Europe+US"),
        (16, "US"),
        (21, "US"),
        (22, "off"),
        (23, "off"),
    ],
)
def test_sessions(hour: int, session: str) -> None:
    assert session_of(hour) == session


def test_time_context_features_and_describe() -> None:
    ts = MONDAY + 5 * 86_400_000 + 14 * H + 30 * 60_000  # Saturday 14:30 UTC
    c = time_context(ts, "Europe/Berlin")
    assert (c.weekday, c.hour, c.hour_bucket, c.session, c.weekend) == (
        "Saturday",
        14,
        "12-16",
        "Europe+US",
        True,
    )
    assert c.local.hour == 15
    f = features(ts, "Europe/Berlin")
    assert (
        f["session"] == "Europe+US"
        and f["weekend"] is True
        and str(f["local"]).startswith("2024-01-06T15:30")
    )
    assert hour_bucket(23) == "20-24"
    with pytest.raises(UserError):
        time_context(ts, "Mars/Olympus")
