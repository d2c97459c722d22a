"""Trading sessions (`ZYN_SESSIONS`, e.g. `07:00-21:00` or `07:00-11:00,13:00-21:00`).

Why: the owner may want entries only while markets are liquid or while he is awake. A window
is [start, end) in the owner's time zone (`ZYN_TZ`, default UTC); `22:00-02:00` wraps midnight.
Only entries are limited: exits (stops, targets, the kill-switch) work around the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain import UserError

_WINDOW = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)")


@dataclass(frozen=True)
class Sessions:
    windows: tuple[tuple[int, int], ...] = ()  # minutes of the day, [start, end)
    tz: str = "UTC"

    @property
    def always(self) -> bool:
        return not self.windows

    def open_at(self, ts_ms: int) -> bool:
        """True if an entry at `ts_ms` falls inside a session (no sessions: always)."""
        if not self.windows:
            return True
        local = datetime.fromtimestamp(ts_ms / 1000, tz=ZoneInfo(self.tz))
        minute = local.hour * 60 + local.minute
        for start, end in self.windows:
            inside = start <= minute < end if start < end else (minute >= start or minute < end)
            if inside:
                return True
        return False

    def describe(self) -> str:
        if not self.windows:
            return "all day"
        parts = [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in self.windows]
        return ", ".join(parts) + f" {self.tz}"


def parse_sessions(raw: str, tz: str = "UTC") -> Sessions:
    """`07:00-21:00[,HH:MM-HH:MM...]` -> Sessions; a malformed window is a UserError."""
    windows: list[tuple[int, int]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        match = _WINDOW.fullmatch(part)
        if not match:
            raise UserError(f"ZYN_SESSIONS: {part[:30]!r} is not a window like 07:00-21:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end > 24 * 60 or start == end:
            raise UserError(f"ZYN_SESSIONS: {part!r} is an empty or impossible window")
        windows.append((start, end))
    return Sessions(tuple(windows), tz)
