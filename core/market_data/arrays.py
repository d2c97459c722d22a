"""Candles as columns: what the kernel loops over and the fast CSV reader produces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.domain import Candle

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CandleArrays:
    """ts (ms, candle open), open/high/low/close; volume only when the caller needs it."""

    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64 | None = None

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def candle(self, i: int) -> Candle:
        vol = float(self.volume[i]) if self.volume is not None else 0.0
        return Candle(int(self.ts[i]), float(self.open[i]), float(self.high[i]), float(self.low[i]),
                      float(self.close[i]), vol)

    def to_candles(self) -> list[Candle]:
        return [self.candle(i) for i in range(len(self))]

    def head(self, n: int) -> CandleArrays:
        vol = self.volume[:n] if self.volume is not None else None
        return CandleArrays(self.ts[:n], self.open[:n], self.high[:n], self.low[:n], self.close[:n], vol)

    @classmethod
    def from_candles(cls, candles: Sequence[Candle]) -> CandleArrays:
        return cls(
            np.fromiter((c.ts for c in candles), np.int64, len(candles)),
            np.fromiter((c.open for c in candles), np.float64, len(candles)),
            np.fromiter((c.high for c in candles), np.float64, len(candles)),
            np.fromiter((c.low for c in candles), np.float64, len(candles)),
            np.fromiter((c.close for c in candles), np.float64, len(candles)),
            np.fromiter((c.volume for c in candles), np.float64, len(candles)),
        )
