"""Cool-off: after 2 consecutive losing trades in a pair, no entry is signalled on the 6 candles
that follow the candle of the second loss's exit. Counted in candles, not hours, so gaps in the
data do not shorten it. State is JSON-serialisable so the autopilot survives restarts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CoolOff:
    losses_to_trigger: int = 2
    candles: int = 6
    streak: int = 0
    exit_ts: int | None = None  # open time of the candle in which the triggering exit happened
    remaining: int = 0  # candles still blocked after the exit candle

    def record_exit(self, pnl: float, exit_candle_ts: int) -> bool:
        """Register a closed trade; returns True when this exit starts a cool-off."""
        if pnl < 0:
            self.streak += 1
        else:
            self.streak = 0
        if self.streak >= self.losses_to_trigger:
            self.exit_ts = exit_candle_ts
            self.remaining = self.candles
            return True
        return False

    def blocks(self, candle_ts: int) -> bool:
        """Whether an entry signal at this (closed) candle is suppressed.

        Call once per closed candle, in order; the exit candle itself is not blocked, the
        `candles` that follow it are.
        """
        if self.exit_ts is None or candle_ts <= self.exit_ts or self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def to_dict(self) -> dict[str, int | None]:
        return {"streak": self.streak, "exit_ts": self.exit_ts, "remaining": self.remaining}

    @classmethod
    def from_dict(cls, data: dict[str, int | None]) -> CoolOff:
        obj = cls()
        obj.streak = int(data.get("streak") or 0)
        obj.exit_ts = data.get("exit_ts")
        obj.remaining = int(data.get("remaining") or 0)
        return obj
