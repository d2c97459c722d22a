"""The gate's pre-registered rule: which figures turn a pair live or back to shadow.

Why hysteresis: a pair whose estimate hovers around zero would flip every few candles and each
flip costs an entry it should not have made (or misses one); so going live needs the interval's
LOWER bound above `enter_above`, and going back to shadow needs the point estimate below
`exit_below` (< `enter_above`'s interval-based bar). Why partial pooling: with 8 trades a pair's
mean is mostly noise, so it is shrunk toward the universe's mean with weight n / (n + `prior_trades`);
with 200 trades it speaks for itself. The thresholds were chosen on dev data by the protocol in
bench/results/servant_protocol.md; every variant tried is a line of servant_variants.tsv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.evidence.records import State

DAY_MS = 86_400_000


@dataclass(frozen=True)
class GateRule:
    """The thresholds (R multiples; windows in days; `review_days` 0 = may change at every candle)."""

    name: str = "S2"
    min_trades: int = 20  # fewer trades in the window: shadow, whatever the mean
    lookback_days: int = 0  # trades closed within this many days count; 0 = all history
    prior_trades: float = 20.0  # shrinkage strength toward the pooled mean (in trades)
    z: float = 1.645  # 90 % two-sided interval
    enter_above: float = 0.0  # live when interval_low > this
    exit_below: float = 0.0  # back to shadow when expectancy_r < this
    review_days: int = 0  # state may change only at the first evaluation of each review period

    def __post_init__(self) -> None:
        if self.min_trades < 1 or self.lookback_days < 0 or self.review_days < 0 or self.prior_trades < 0:
            raise ValueError(f"bad gate rule {self}")
        if not (math.isfinite(self.z) and self.z >= 0):
            raise ValueError(f"bad gate rule {self}")

    def window_start(self, at_ms: int) -> int:
        """Trades with closed_ms >= this count (the lookback), or all of them."""
        return at_ms - self.lookback_days * DAY_MS if self.lookback_days else -(2**62)

    def review_period(self, at_ms: int) -> int:
        return at_ms // (self.review_days * DAY_MS) if self.review_days else at_ms

    def next_state(self, previous: State, trades: int, expectancy: float | None, low: float | None) -> State:
        """The state after an evaluation (idempotent: applying it twice to the same figures is once)."""
        if trades < self.min_trades or expectancy is None or low is None:
            return "shadow"
        if previous == "live":
            return "shadow" if expectancy < self.exit_below else "live"
        return "live" if low > self.enter_above else "shadow"


# S2, picked on dev by the protocol's pre-registered selection rule (the best worst-case servant
# return over binance_dev_4h 4h, binance 1h and kraken_cdd 1h; bench/results/servant_dev.md)
DEFAULT_RULE = GateRule()
