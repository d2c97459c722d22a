"""Daily profit target (feature `profit_target`): bank a good day.

When today's P&L (realized + unrealized = equity at a candle close minus the day's start equity,
the same UTC day and start equity the daily-loss kill-switch uses) reaches `pct` of the day's
start equity, no new entries until the next UTC day, and — by setting (`ZYN_PROFIT_TARGET_ACTION`)
— open stops are raised to break-even plus fees (`breakeven`, the default), positions are
flattened at the next open (`flatten`), or left alone (`hold`).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import UserError

DAY_MS = 86_400_000
ACTIONS = ("breakeven", "flatten", "hold")
DEFAULT_PCT = 0.02


def parse_pct(raw: str, name: str = "target") -> float:
    """`2%`, `2` or `0.5 %` -> 0.02 / 0.005; above 0 and at most 100 %."""
    text = raw.strip().rstrip("%").strip()
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{name} takes a percentage like 2%, not {raw[:20]!r}") from None
    if not 0 < value <= 100 or value != value:
        raise UserError(f"{name} must be above 0% and at most 100% (got {raw[:20]})")
    return value / 100.0


def breakeven_stop(entry_price: float, fee_rate: float) -> float:
    """The stop at which selling returns exactly what the entry cost, both fees included."""
    return entry_price * (1 + fee_rate) / (1 - fee_rate)


@dataclass
class DailyTarget:
    pct: float = DEFAULT_PCT
    action: str = "breakeven"
    reached_day: int | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise UserError(f"ZYN_PROFIT_TARGET_ACTION must be one of {', '.join(ACTIONS)}")

    def on_close(self, candle_ts: int, equity: float, start_equity: float | None) -> bool:
        """Feed the equity at a close; True when the target is reached now (once per day)."""
        day = candle_ts // DAY_MS
        if self.reached_day == day or not start_equity or start_equity <= 0:
            return False
        if equity - start_equity >= self.pct * start_equity:
            self.reached_day = day
            return True
        return False

    def reached(self, ts_ms: int) -> bool:
        return self.reached_day is not None and self.reached_day == ts_ms // DAY_MS

    def describe(self) -> str:
        return f"+{self.pct * 100:g}% of the day's start equity, then {self.action}"
