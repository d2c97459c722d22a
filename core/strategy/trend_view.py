"""The trend of a pair in the autopilot's own terms, for "what is the trend on BTC?" (issue 22.8).

Why here: the answer must use the same SMA20, Wilder ATR14 and multi-timeframe rule the strategy
trades on (`core/strategy/indicators.py`, `core/strategy/mtf.py`), computed on closed candles
only, so the owner is told exactly what the autopilot sees — never a second definition of "trend".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.domain import Candle
from core.markets.timeframes import timeframe_ms
from core.strategy.indicators import IndicatorState
from core.strategy.mtf import SMA_PERIOD, completed_closes
from core.text import price_places_text


@dataclass(frozen=True)
class TrendView:
    """The last closed candle's close, SMA20 and ATR14, and per confirming timeframe its state."""

    pair: str
    timeframe: str
    ts_ms: int
    close: float
    sma20: float | None
    atr: float | None
    higher: tuple[tuple[str, str], ...]  # (timeframe, "above its SMA20" | "below its SMA20" | why unknown)


def trend_view(pair: str, candles: Sequence[Candle], timeframe: str, confirming: Sequence[str]) -> TrendView | None:
    """None without candles; the indicators are None while fewer candles than they need."""
    if not candles:
        return None
    state = IndicatorState()
    point = None
    for candle in candles:
        point = state.update(candle)
    last = candles[-1]
    higher = tuple((h, _higher_state(candles, timeframe, h)) for h in confirming)
    return TrendView(pair, timeframe, last.ts, last.close, point.sma if point else None,
                     point.atr if point else None, higher)


def _higher_state(candles: Sequence[Candle], timeframe: str, h: str) -> str:
    closes = completed_closes(candles, len(candles) - 1, timeframe_ms(timeframe), timeframe_ms(h), SMA_PERIOD)
    if len(closes) < SMA_PERIOD:
        return f"unknown (only {len(closes)} completed candles, {SMA_PERIOD} needed)"
    sma = sum(closes) / SMA_PERIOD
    side = "above" if closes[-1] > sma else "below"
    return f"{side} its SMA20 ({price_places_text(closes[-1])} vs {price_places_text(sma)})"
