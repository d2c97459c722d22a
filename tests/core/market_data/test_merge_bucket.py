"""A trading candle made of one base candle is that candle, not a copy (issue 20.5: the replay's
history held a copy of every closed 1h candle beside the original, the soak's RSS slope); a real
merge, or a lone candle off its bucket's start, still builds the coarser candle."""

from __future__ import annotations

from core.domain import Candle, Market
from core.market_data.resample import merge_bucket
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_parity import _candles

HOUR = 3_600_000


def test_a_bucket_of_one_aligned_candle_is_that_candle() -> None:
    c = Candle(ts=4 * HOUR, open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0)
    assert merge_bucket([c], HOUR) is c


def test_a_lone_candle_after_its_buckets_start_becomes_a_candle_at_the_start() -> None:
    c = Candle(ts=5 * HOUR, open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0)
    assert merge_bucket([c], 4 * HOUR) == Candle(ts=4 * HOUR, open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0)


def test_a_negative_zero_volume_is_summed_to_zero_as_before() -> None:
    c = Candle(ts=4 * HOUR, open=1.0, high=2.0, low=0.5, close=1.5, volume=-0.0)
    merged = merge_bucket([c], HOUR)
    assert merged is not c and str(merged.volume) == "0.0"


def test_several_candles_merge_into_one() -> None:
    a = Candle(ts=4 * HOUR, open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0)
    b = Candle(ts=5 * HOUR, open=1.5, high=3.0, low=0.7, close=2.5, volume=5.0)
    assert merge_bucket([a, b], 4 * HOUR) == Candle(ts=4 * HOUR, open=1.0, high=3.0, low=0.5, close=2.5,
                                                    volume=15.0)


def test_the_replay_history_of_1h_trading_on_1h_candles_holds_the_candles_themselves() -> None:
    pair = "ETH/USD"
    candles = _candles(pair, 300)
    stack = build_stack({pair: Market(pair, "ETH", "USD", lot_decimals=8, pair_decimals=16)},
                        start_ms=candles[0].ts)
    driver = ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {pair: ("1h", candles)},
                          trading=stack.service, timeframe="1h")
    driver.run_to_end()
    kept = driver.history(pair)
    by_ts = {c.ts: c for c in candles}
    assert len(kept) > 100 and all(c is by_ts[c.ts] for c in kept)
