"""Every learner feature is known at the signal candle's close: changing the future changes nothing."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from core.domain import Candle, ClosedTrade
from core.learning.learn_features import FEATURE_NAMES, Universe, pair_series, time_features
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample

CANDLE_FEATURES = ("trend_strength", "atr_pct", "htf_trend", "htf_slope", "vol_rank", "dist_sma100")
H4 = 4 * 3_600_000


@pytest.fixture
def candles(data_dir: Path) -> list[Candle]:
    return resample(load_csv(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv")[:8000], "1h", "4h")


def _future_changed(candles: list[Candle], i: int) -> list[Candle]:
    """Same candles up to i; every later candle tripled in price and volume."""
    return candles[: i + 1] + [
        replace(c, open=3 * c.open, high=3 * c.high, low=3 * c.low, close=3 * c.close, volume=10 * c.volume)
        for c in candles[i + 1 :]
    ]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("name", CANDLE_FEATURES)
def test_candle_feature_ignores_later_candles(candles: list[Candle], name: str) -> None:
    i = 1500  # a 4h candle mid-day, so the current (incomplete) day's later candles change too
    before = getattr(pair_series(candles, "4h"), name)
    after = getattr(pair_series(_future_changed(candles, i), "4h"), name)
    assert all(_same(before[j], after[j]) for j in range(i + 1)), name
    assert sum(math.isfinite(v) for v in before[: i + 1]) > 1000  # the feature exists on real data
    assert any(not _same(before[j], after[j]) for j in range(i + 1, len(candles))), "the change is visible later"


def test_higher_timeframe_uses_completed_days_only(candles: list[Candle]) -> None:
    s = pair_series(candles, "4h")
    # the day's first 4h candle (00:00) and its fifth (16:00) see the same last completed day
    start = next(j for j, c in enumerate(candles[200:], 200) if c.ts % 86_400_000 == 0)
    assert s.htf_trend[start] == s.htf_trend[start + 4]
    # the 20:00 candle closes at midnight: the day is complete and the value moves
    assert s.htf_trend[start + 5] != s.htf_trend[start + 4]


def _trade(pair: str, entry: int, exit_: int, r: float) -> ClosedTrade:
    return ClosedTrade(pair, entry, exit_, 1.0, 100.0, 100.0 + r, 99.0, 102.0, 0.0, r, r, "stop")


def test_recent_outcome_and_liquidity_ignore_later_trades_and_candles(candles: list[Candle]) -> None:
    other = [replace(c, volume=c.volume * 2) for c in candles]
    sig = candles[1500].ts
    past = [_trade("BTC/USD", sig - 40 * H4, sig - 10 * H4, -1.0), _trade("ETH/USD", sig - 9 * H4, sig, 2.0)]
    future = [_trade("BTC/USD", sig - 2 * H4, sig + H4, 5.0), _trade("ETH/USD", sig + H4, sig + 3 * H4, 3.0)]
    u = Universe({"BTC/USD": candles, "ETH/USD": other}, {"BTC/USD": past[:1], "ETH/USD": past[1:]}, "4h")
    more = Universe(
        {"BTC/USD": _future_changed(candles, 1500), "ETH/USD": _future_changed(other, 1500)},
        {"BTC/USD": [past[0], future[0]], "ETH/USD": [past[1], future[1]]},
        "4h",
    )
    a, b = u.vector("BTC/USD", sig), more.vector("BTC/USD", sig)
    assert all(_same(x, y) for x, y in zip(a, b, strict=True))
    named = dict(zip(FEATURE_NAMES, a, strict=True))
    assert named["pair_recent_r"] == -1.0  # only the BTC trade that had closed
    assert named["universe_recent_r"] == 0.5  # the ETH trade exiting in the signal candle counts
    assert named["liquidity_rank"] == 0.5  # ETH traded twice the volume


def test_time_features_are_of_the_decision_time() -> None:
    monday_00 = 1_704_067_200_000
    sin, cos, weekend = time_features(monday_00)
    assert (round(sin, 9), cos, weekend) == (0.0, 1.0, 0.0)
    assert time_features(monday_00 - 3_600_000)[2] == 1.0  # Sunday 23:00
