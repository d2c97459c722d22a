"""Daily loss kill-switch (UTC days).

start_equity of a day = equity at the close of the previous day's last candle (the first day:
the starting equity). `day_open` is that same equity kept for the whole day (a `resume` moves
`start_equity`, never `day_open`): today's P&L is equity now - `day_open`, the one definition
the status' `pnl.today` and `kill_switch.daily_pnl` share (issue 22.2).
When equity at a candle close is <= (1 - limit) x start_equity the switch
trips: flatten at the next open, no entry for the rest of that UTC day (or until `resume`).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass
class DailyLossGuard:
    limit: float = 0.03
    day: int | None = None  # UTC day number of the last seen candle
    start_equity: float | None = None
    last_equity: float | None = None
    tripped_day: int | None = None
    day_open: float | None = None  # equity at 00:00 UTC of `day` (not moved by resume)

    def on_close(self, candle_ts: int, equity: float) -> bool:
        """Feed the equity at a candle close; returns True if the switch trips now."""
        day = candle_ts // DAY_MS
        if self.day is None:
            self.start_equity = self.start_equity if self.start_equity is not None else equity
            self.day_open = self.day_open if self.day_open is not None else self.start_equity
        elif day != self.day:
            self.start_equity = self.day_open = self.last_equity
        self.day = day
        self.last_equity = equity
        if self.tripped_day == day or self.start_equity is None:
            return False
        if equity <= (1.0 - self.limit) * self.start_equity:
            self.tripped_day = day
            return True
        return False

    def halted(self, candle_ts: int) -> bool:
        return self.tripped_day is not None and self.tripped_day == candle_ts // DAY_MS

    def daily_pnl(self) -> float:
        """Equity at the last close - equity at 00:00 UTC of its day."""
        opened = self.day_open if self.day_open is not None else self.start_equity
        if opened is None or self.last_equity is None:
            return 0.0
        return self.last_equity - opened

    def day_open_equity(self, now_ms: int) -> float | None:
        """Equity at 00:00 UTC of the day `now_ms` falls in, as far as the closes seen tell: the
        first day's is the starting equity; before today's first close, yesterday's last close."""
        day = now_ms // DAY_MS
        if self.day is None:
            return self.start_equity
        if day == self.day:
            return self.day_open if self.day_open is not None else self.start_equity
        return self.last_equity if day > self.day else None

    def resume(self) -> None:
        """Entries may start again. After a trip the day's loss is counted from here: else the
        next close, still below the limit, would trip again at once and flatten what was bought."""
        if self.tripped_day is not None and self.last_equity is not None:
            self.start_equity = self.last_equity
        self.tripped_day = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "limit": self.limit, "day": self.day, "start_equity": self.start_equity,
            "last_equity": self.last_equity, "tripped_day": self.tripped_day, "day_open": self.day_open,
        }

    @classmethod
    def from_dict(cls, data: dict[str, float | int | None]) -> DailyLossGuard:
        day = data.get("day")
        tripped = data.get("tripped_day")
        start, last = data.get("start_equity"), data.get("last_equity")
        opened = data.get("day_open", start)  # an older row: the day's start (resume may have moved it)
        return cls(
            limit=float(data.get("limit") or 0.03),
            day=int(day) if day is not None else None,
            start_equity=float(start) if start is not None else None,
            last_equity=float(last) if last is not None else None,
            tripped_day=int(tripped) if tripped is not None else None,
            day_open=float(opened) if opened is not None else None,
        )
