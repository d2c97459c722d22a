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
from decimal import ROUND_HALF_UP, Decimal

DAY_MS = 86_400_000
Money = Decimal | float | int | str


def money(value: Money) -> Decimal:
    """Equity as an exact Decimal: a float is read by its shortest repr (0.1 -> 0.1), so a float
    that came from a Decimal computation converts back to that same number."""
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))


def cents(value: Decimal) -> float:
    """A Decimal amount of money rounded half-up to the cent, as the float the status JSON carries."""
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _opt(value: object) -> Decimal | None:
    return money(value) if isinstance(value, Decimal | float | int | str) and not isinstance(value, bool) else None


@dataclass
class DailyLossGuard:
    """Equity in exact Decimals (issue 18.7): the trip is decided on the account's money, not on a
    binary float, so an equity exactly at the limit trips and one a cent above does not."""

    limit: float = 0.03  # a fraction from the settings; the threshold is computed from its decimal text
    day: int | None = None  # UTC day number of the last seen candle
    start_equity: Decimal | None = None
    last_equity: Decimal | None = None
    tripped_day: int | None = None
    day_open: Decimal | None = None  # equity at 00:00 UTC of `day` (not moved by resume)

    def __post_init__(self) -> None:
        self.start_equity, self.last_equity = _opt(self.start_equity), _opt(self.last_equity)
        self.day_open = _opt(self.day_open)

    def threshold(self) -> Decimal | None:
        """The equity at or below which the switch trips today: (1 - limit) x the day's start."""
        if self.start_equity is None:
            return None
        return (1 - money(self.limit)) * money(self.start_equity)

    def on_close(self, candle_ts: int, equity: Money) -> bool:
        """Feed the equity at a candle close; returns True if the switch trips now."""
        equity = money(equity)
        self.__post_init__()  # a value set from outside (a test, an old caller) is made exact too
        day = candle_ts // DAY_MS
        if self.day is None:
            self.start_equity = self.start_equity if self.start_equity is not None else equity
            self.day_open = self.day_open if self.day_open is not None else self.start_equity
        elif day != self.day:
            self.start_equity = self.day_open = self.last_equity
        self.day = day
        self.last_equity = equity
        threshold = self.threshold()
        if self.tripped_day == day or threshold is None:
            return False
        if equity <= threshold:
            self.tripped_day = day
            return True
        return False

    def halted(self, candle_ts: int) -> bool:
        return self.tripped_day is not None and self.tripped_day == candle_ts // DAY_MS

    def daily_pnl(self) -> Decimal:
        """Equity at the last close - equity at 00:00 UTC of its day."""
        opened = self.day_open if self.day_open is not None else self.start_equity
        if opened is None or self.last_equity is None:
            return Decimal(0)
        return self.last_equity - opened

    def day_open_equity(self, now_ms: int) -> Decimal | None:
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

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON for the kv row: equities as decimal text (exact), read back by `from_dict`."""
        def text(v: Decimal | None) -> str | None:
            return str(v) if v is not None else None

        return {
            "limit": self.limit, "day": self.day, "start_equity": text(self.start_equity),
            "last_equity": text(self.last_equity), "tripped_day": self.tripped_day, "day_open": text(self.day_open),
        }

    @classmethod
    def from_dict(cls, data: dict[str, float | int | str | None]) -> DailyLossGuard:
        """Rows written before issue 18.7 hold floats; they are read by their shortest repr."""
        day = data.get("day")
        tripped = data.get("tripped_day")
        start = data.get("start_equity")
        opened = data.get("day_open", start)  # an older row: the day's start (resume may have moved it)
        return cls(
            limit=float(data.get("limit") or 0.03),
            day=int(day) if day is not None else None,
            start_equity=_opt(start),
            last_equity=_opt(data.get("last_equity")),
            tripped_day=int(tripped) if tripped is not None else None,
            day_open=_opt(opened),
        )
