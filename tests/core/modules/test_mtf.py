"""Multi-timeframe confirmation, as pinned in DESIGN.md, recomputed independently; no look-ahead."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.domain import Candle, UserError
from core.market_data.csv_loader import load_csv
from core.markets.catalog import market_for
from core.research.backtest import Backtester
from core.strategy.entry_rules import EntryRules
from core.strategy.mtf import check, completed_closes, confirming_timeframes, history_needed

H = 3_600_000
DAY = 24 * H


def hourly(closes: list[float], start: int = 0) -> list[Candle]:
    return [Candle(start + i * H, c, c, c, c, 1.0) for i, c in enumerate(closes)]


def reference(candles: list[Candle], end: int, tf_ms: int, h_ms: int) -> str | None:
    """The rule written out the slow way: resample everything up to the signal, keep the buckets
    that ended by the signal's close, compare the last close with the mean of the last 20."""
    close_time = candles[end].ts + tf_ms
    buckets: dict[int, float] = {}
    for c in candles[: end + 1]:
        buckets[c.ts // h_ms * h_ms] = c.close  # later candles overwrite: the bucket's last close
    done = [close for start, close in sorted(buckets.items()) if start + h_ms <= close_time]
    if len(done) < 20:
        return "too few"
    last20 = done[-20:]
    return None if last20[-1] > sum(last20) / 20 else "below"


def test_default_confirming_timeframes_are_those_above_the_trading_one() -> None:
    assert confirming_timeframes("1h") == ("4h", "1d")
    assert confirming_timeframes("4h") == ("1d",)
    assert confirming_timeframes("1d") == ()
    assert confirming_timeframes("1h", ("2h",)) == ("2h",)
    with pytest.raises(UserError):
        confirming_timeframes("4h", ("1h",))
    with pytest.raises(UserError):
        confirming_timeframes("4h", ("6h",))  # not a multiple of 4h


def test_a_bucket_counts_once_the_signal_close_reaches_its_end() -> None:
    # 4h buckets of hourly candles: closes 0..87 (22 buckets). At the close of candle 3 (the last
    # hour of bucket 0) that bucket is complete; at the close of candle 2 it is not.
    candles = hourly([float(i) for i in range(88)])
    assert completed_closes(candles, 2, H, 4 * H, 20) == []
    assert completed_closes(candles, 3, H, 4 * H, 20) == [3.0]
    assert completed_closes(candles, 86, H, 4 * H, 20) == [float(4 * k + 3) for k in range(1, 21)]
    assert completed_closes(candles, 87, H, 4 * H, 20) == [float(4 * k + 3) for k in range(2, 22)]


def test_fewer_than_twenty_completed_buckets_means_no_entry() -> None:
    candles = hourly([100.0 + i for i in range(79)])  # 19 complete 4h buckets at the last close
    assert check(candles, 78, "1h", ("4h",)) == "4h: only 19 completed candles, 20 needed for its SMA20"
    longer = hourly([100.0 + i for i in range(80)])
    assert check(longer, 79, "1h", ("4h",)) is None  # rising: the last close is above its SMA20


def test_a_gap_at_the_end_of_a_bucket_still_completes_it_with_its_last_candle() -> None:
    closes = [float(i) for i in range(100)]
    candles = [c for c in hourly(closes) if c.ts != 83 * H]  # hour 83 (end of bucket 20) missing
    end = next(i for i, c in enumerate(candles) if c.ts == 84 * H)
    got = completed_closes(candles, end, H, 4 * H, 20)
    assert got[-1] == 82.0  # bucket [80h, 84h) closed at its last candle that exists
    assert reference(candles, end, H, 4 * H) == (None if got[-1] > sum(got) / 20 else "below")


def test_falling_higher_timeframe_blocks_with_the_pinned_reason() -> None:
    candles = hourly([500.0 - i for i in range(24 * 30)])
    reason = check(candles, len(candles) - 1, "1h", ("4h", "1d"))
    assert reason is not None and reason.startswith("4h close below its SMA20")


@pytest.fixture
def btc(data_dir: Path) -> list[Candle]:
    return load_csv(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv")[:6000]


def test_matches_the_reference_on_real_candles_at_every_tenth_candle(btc: list[Candle]) -> None:
    for end in range(0, len(btc), 10):
        for h in (4 * H, DAY):
            ours = check(btc, end, "1h", ("4h",) if h == 4 * H else ("1d",))
            ref = reference(btc, end, H, h)
            assert (ours is None) == (ref is None), (end, h, ours, ref)


def test_no_look_ahead_future_candles_cannot_change_a_verdict(btc: list[Candle]) -> None:
    for end in range(500, len(btc), 97):
        verdict = check(btc, end, "1h", ("4h", "1d"))
        assert check(btc[: end + 1], end, "1h", ("4h", "1d")) == verdict
        crashed = btc[: end + 1] + [replace(c, close=c.close * 0.01, low=c.low * 0.01) for c in btc[end + 1 :]]
        assert check(crashed, end, "1h", ("4h", "1d")) == verdict


def test_backtest_with_mtf_skips_unconfirmed_signals_with_the_reason(btc: list[Candle]) -> None:
    base = Backtester("BTC/USD", "1h", market_for("BTC/USD"), keep_decisions=True).run(btc)
    rules = EntryRules.fixed("1h", ["mtf"])
    with_mtf = Backtester("BTC/USD", "1h", market_for("BTC/USD"), keep_decisions=True, rules=rules).run(btc)
    skipped = [d for d in with_mtf.decisions if d.reason.startswith("signal ignored: 4h") or "1d" in d.reason]
    assert skipped and len(with_mtf.trades) < len(base.trades)
    index = {c.ts: i for i, c in enumerate(btc)}
    for d in with_mtf.decisions:
        if d.action == "enter":  # every entry taken is confirmed by the rule at its candle
            assert reference(btc, index[d.ts], H, 4 * H) is None and reference(btc, index[d.ts], H, DAY) is None


def test_history_needed_covers_twenty_days_of_hours() -> None:
    assert history_needed("1h", ("4h", "1d")) >= 21 * 24
    assert history_needed("4h", ()) == 0
