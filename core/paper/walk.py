"""The price path a candle is assumed to take, and where a walk along it must pause.

open -> low -> high -> close is the pessimistic path for a long position (the stop is reached
before the target), which is what the backtest assumes; the paper exchange walks the same path
so replay and backtest agree trade by trade.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.domain import Candle
from core.paper.rules import to_decimal

# More pauses than any sane set of orders and watchers needs in one candle; beyond it a
# listener that keeps inventing new levels is ignored so the walk always ends.
MAX_STOPS_PER_CANDLE = 10_000


def candle_path(candle: Candle) -> list[Decimal]:
    """The four corners of the assumed path, as exact decimals."""
    return [to_decimal(v) for v in (candle.open, candle.low, candle.high, candle.close)]


def next_stop(current: Decimal, end: Decimal, levels: Iterable[Decimal]) -> Decimal:
    """The nearest level strictly past `current` and not beyond `end`, else `end` itself."""
    if end < current:
        below = [lv for lv in levels if end <= lv < current]
        return max(below, default=end)
    above = [lv for lv in levels if current < lv <= end]
    return min(above, default=end)


@dataclass
class WalkClock:
    """Timestamps inside a candle: its open time, then +1 ms per pause (capped by duration)."""

    start_ms: int
    duration_ms: int | None = None
    stops: int = 0

    def next_ts(self) -> int:
        offset = self.stops
        self.stops += 1
        if self.duration_ms is not None and self.duration_ms > 0:
            offset = min(offset, self.duration_ms - 1)
        return self.start_ms + offset

    @property
    def exhausted(self) -> bool:
        return self.stops > MAX_STOPS_PER_CANDLE
