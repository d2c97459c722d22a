"""The optional modules' say over entries, shared by the backtest and the live autopilot.

Why one object: `mtf`, the daily profit target and the trading sessions must act the same in a
backtest as live (so a module is measured before it trades). The strategy decides first; then
`review` may turn an `enter` into a `skip` with the reason, and `on_close` reports when the daily
profit target is reached so the caller can raise stops or flatten. Which modules are on is asked
on every call (`enabled`), so `set feature mtf off` in chat applies at the next candle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from core.domain import Candle
from core.markets.timeframes import timeframe_ms
from core.strategy.mtf import check as mtf_check
from core.strategy.mtf import confirming_timeframes
from core.strategy.pinned import Decision
from core.strategy.profit_target import DailyTarget
from core.strategy.sessions import Sessions

Enabled = Callable[[str], bool]


@dataclass
class EntryRules:
    timeframe: str
    enabled: Enabled
    target: DailyTarget = field(default_factory=DailyTarget)
    sessions: Sessions = field(default_factory=Sessions)
    mtf_timeframes: tuple[str, ...] = ()
    on_change: Callable[[DailyTarget], None] | None = None  # persist the target state
    target_pct: Callable[[], float] | None = None  # the owner's `set target N%`, read at each close

    def __post_init__(self) -> None:
        self.confirming = confirming_timeframes(self.timeframe, self.mtf_timeframes)
        self._tf_ms = timeframe_ms(self.timeframe)

    @classmethod
    def fixed(cls, timeframe: str, features: Sequence[str], **kw: object) -> EntryRules:
        """A backtest's rules: the listed features are on for the whole run."""
        on = frozenset(features)
        return cls(timeframe, on.__contains__, **kw)  # type: ignore[arg-type]

    def on_close(self, candle_ts: int, equity: float, start_equity: float | None) -> str | None:
        """The profit-target action ("breakeven" | "flatten" | "hold") when reached now, else None."""
        if not self.enabled("profit_target"):
            return None
        if self.target_pct is not None:
            self.target.pct = self.target_pct()
        if not self.target.on_close(candle_ts, equity, start_equity):
            return None
        if self.on_change is not None:
            self.on_change(self.target)
        return self.target.action

    def review(self, decision: Decision, candles: Sequence[Candle], end: int) -> Decision:
        """The decision, or a `skip` naming the module that vetoes the entry."""
        if decision.action != "enter":
            return decision
        reason = self.veto(decision.ts, candles, end)
        return decision if reason is None else replace(decision, action="skip", reason=reason)

    def veto(self, ts: int, candles: Sequence[Candle], end: int) -> str | None:
        if self.enabled("profit_target"):
            if self.target.reached(ts):
                return (f"signal ignored: daily profit target reached (+{self.target.pct * 100:g}%);"
                        " no new entries until the next UTC day")
            if not self.sessions.open_at(ts + self._tf_ms):
                return f"signal ignored: outside the trading sessions ({self.sessions.describe()})"
        if self.enabled("mtf") and self.confirming:
            reason = mtf_check(candles, end, self.timeframe, self.confirming)
            if reason is not None:
                return f"signal ignored: {reason}"
        return None

    def describe(self) -> dict[str, str]:
        return {
            "mtf": ", ".join(self.confirming) or f"none above {self.timeframe}",
            "profit_target": self.target.describe(),
            "sessions": self.sessions.describe(),
        }
