"""The trend answer uses the strategy's own SMA20/ATR14 and mtf rule on closed candles."""

from __future__ import annotations

from core.domain import Candle
from core.strategy.indicators import IndicatorState
from core.strategy.trend_view import trend_view

HOUR = 3_600_000


def _candles(n: int, step: float) -> list[Candle]:
    return [Candle(i * HOUR, 100 + i * step, 101 + i * step, 99 + i * step, 100.5 + i * step, 1.0) for i in range(n)]


def test_a_rising_market_is_above_its_sma_on_every_timeframe() -> None:
    candles = _candles(24 * 22, 0.5)
    view = trend_view("BTC/USD", candles, "1h", ("4h", "1d"))
    assert view is not None and view.close == candles[-1].close and view.ts_ms == candles[-1].ts
    state = IndicatorState()
    for c in candles:
        point = state.update(c)
    assert (view.sma20, view.atr) == (point.sma, point.atr)  # the very same arithmetic as the strategy
    assert view.sma20 is not None and view.close > view.sma20
    assert [h for h, _ in view.higher] == ["4h", "1d"] and all(s.startswith("above") for _, s in view.higher)


def test_a_falling_market_and_too_little_history() -> None:
    view = trend_view("BTC/USD", _candles(30, -0.5), "1h", ("1d",))
    assert view is not None and view.sma20 is not None and view.close < view.sma20
    assert view.higher[0][1].startswith("unknown (only 1 completed")
    assert trend_view("BTC/USD", [], "1h", ()) is None
