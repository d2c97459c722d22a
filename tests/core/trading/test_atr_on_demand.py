"""A stop-less chat order gets ATR14 from recent candles when the autopilot has none yet."""

from __future__ import annotations

from core.clock import SimClock
from core.domain import Candle, ExchangeUnavailable
from core.strategy.indicators import indicator_series
from core.trading.atr_on_demand import AtrOnDemand, atr14


def candles(n: int) -> list[Candle]:
    return [Candle(i * 3_600_000, 100 + i, 103 + i, 98 + i, 101 + i, 1.0) for i in range(n)]


def test_atr_is_the_strategys_own_wilder_atr() -> None:
    rows = candles(40)
    assert atr14(rows) == indicator_series(rows)[-1].atr
    assert atr14(rows[:13]) is None


def test_fetched_once_per_minute_and_none_without_candles() -> None:
    calls: list[str] = []
    clock = SimClock(0)

    def fetch(pair: str, tf: str, limit: int) -> list[Candle]:
        calls.append(pair)
        if pair == "ETH/USD":
            raise ExchangeUnavailable("no market data")
        return candles(30)

    atr = AtrOnDemand(fetch, "1h", clock)
    first = atr("BTC/USD")
    assert first is not None and atr("BTC/USD") == first and calls == ["BTC/USD"]
    clock.advance(61_000)
    assert atr("BTC/USD") == first and calls == ["BTC/USD", "BTC/USD"]
    assert atr("ETH/USD") is None
