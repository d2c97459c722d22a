"""ReplayFeed hides the future and resamples like core.market_data.resample; the driver ticks in order."""

from __future__ import annotations

from core.clock import SimClock
from core.domain import Candle
from core.market_data.replay_feed import ReplayFeed
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack

H = 3_600_000
T0 = 1_700_006_400_000 - 1_700_006_400_000 % (4 * H)


def hourly(n: int, skip: set[int] | None = None) -> list[Candle]:
    return [
        Candle(T0 + i * H, 100 + i, 101 + i, 99 + i, 100.5 + i, 1)
        for i in range(n)
        if i not in (skip or set())
    ]


def test_only_candles_closed_at_clock_time_are_visible() -> None:
    clock = SimClock(T0 + 3 * H)
    feed = ReplayFeed({"BTC/USD": ("1h", hourly(10))}, clock)
    assert [c.ts for c in feed.closed_candles("BTC/USD", "1h")] == [T0, T0 + H, T0 + 2 * H]
    assert feed.last_price("BTC/USD") == 102.5
    clock.set(T0 + 3 * H + H - 1)
    assert len(feed.closed_candles("BTC/USD", "1h")) == 3
    assert feed.closed_candles("ETH/USD", "1h") == [] and feed.last_price("ETH/USD") is None


def test_resampled_candles_match_resample_and_wait_for_the_bucket_end() -> None:
    data = hourly(24, skip={7})  # the last hour of the second 4h bucket is missing (a trading gap)
    clock = SimClock(T0 + 7 * H)
    feed = ReplayFeed({"BTC/USD": ("1h", data)}, clock)
    assert [c.ts for c in feed.closed_candles("BTC/USD", "4h")] == [T0]
    clock.set(T0 + 8 * H)
    got = feed.closed_candles("BTC/USD", "4h")
    assert [c.ts for c in got] == [T0, T0 + 4 * H] and got[1].close == data[6].close
    clock.set(T0 + 24 * H)
    assert feed.closed_candles("BTC/USD", "4h") == resample(data, "1h", "4h")
    assert feed.closed_candles("BTC/USD", "4h", limit=2) == resample(data, "1h", "4h")[-2:]


def test_driver_ticks_each_closed_trading_candle_once_and_only_when_due() -> None:
    stack = build_stack({"BTC/USD": market_for("BTC/USD")}, start_ms=T0, timeframe="4h")
    driver = ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {"BTC/USD": ("1h", hourly(24))},
                 trading=stack.service)
    assert driver.step(T0 + 4 * H - 1) == 3 and driver.ticks == 0
    driver.step(T0 + 4 * H)  # the first 4h candle closed: decided at the next open
    assert driver.ticks == 1 and stack.exchange.fetch_ticker("BTC/USD").last == 104
    driver.run_to_end()
    assert driver.ticks == 5 and driver.done  # the last 4h candle has no next open: not decided
    assert [c.ts for c in driver.history("BTC/USD")] == [T0 + i * 4 * H for i in range(5)]
