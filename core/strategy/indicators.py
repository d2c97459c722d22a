"""SMA20 and Wilder's ATR14, incrementally, as DESIGN.md pins them.

Incremental so the autopilot (one candle at a time) and the backtest (35k candles) run the
very same arithmetic — the parity test depends on identical floats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.domain import Candle

SMA_PERIOD = 20
ATR_PERIOD = 14


@dataclass(frozen=True, slots=True)
class IndicatorPoint:
    sma: float | None
    atr: float | None


class IndicatorState:
    """Running SMA(n) of closes and Wilder ATR(m): first ATR = mean of the first m TRs."""

    def __init__(self, sma_period: int = SMA_PERIOD, atr_period: int = ATR_PERIOD) -> None:
        self._sma_period = sma_period
        self._atr_period = atr_period
        self._closes: deque[float] = deque(maxlen=sma_period)
        self._sum = 0.0
        self._prev_close: float | None = None
        self._trs: list[float] = []
        self._atr: float | None = None

    def update(self, candle: Candle) -> IndicatorPoint:
        if len(self._closes) == self._sma_period:
            self._sum -= self._closes[0]
        self._closes.append(candle.close)
        self._sum += candle.close
        sma = self._sum / self._sma_period if len(self._closes) == self._sma_period else None
        tr = _true_range(candle, self._prev_close)
        self._prev_close = candle.close
        if self._atr is None:
            self._trs.append(tr)
            if len(self._trs) == self._atr_period:
                self._atr = sum(self._trs) / self._atr_period
        else:
            self._atr = ((self._atr_period - 1) * self._atr + tr) / self._atr_period
        return IndicatorPoint(sma=_exact_sma(self._closes) if sma is not None else None, atr=self._atr)


def _exact_sma(closes: Iterable[float]) -> float:
    """Mean recomputed from the window: a running sum drifts over 35k candles."""
    window = list(closes)
    return sum(window) / len(window)


def _true_range(candle: Candle, prev_close: float | None) -> float:
    if prev_close is None:
        return candle.high - candle.low
    return max(candle.high - candle.low, abs(candle.high - prev_close), abs(candle.low - prev_close))


def indicator_series(candles: Sequence[Candle]) -> list[IndicatorPoint]:
    state = IndicatorState()
    return [state.update(c) for c in candles]
