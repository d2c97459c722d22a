"""Time context: when a decision happened, in the terms a trader (and the learner) thinks in.

Why: every decision and trade is stored with these features so the analyzer can ask "do my
Asia-session entries lose?", and the agent is told the current time on the clock port (never
the wall clock), so replays and tests see the same context live trading would.
Sessions and hour buckets are in UTC (trading days stay UTC); the owner's `ZYN_TZ` only changes
how local time is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain import UserError
from core.ports import Clock

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# name -> [start, end) hour in UTC
SESSION_HOURS: dict[str, tuple[int, int]] = {"Asia": (0, 9), "Europe": (7, 16), "US": (13, 22)}
SESSIONS = ("Asia", "Asia+Europe", "Europe", "Europe+US", "US", "off")
HOUR_BUCKETS = tuple(f"{h:02d}-{h + 4:02d}" for h in range(0, 24, 4))


@dataclass(frozen=True)
class TimeContext:
    ts_ms: int
    utc: datetime
    local: datetime
    tz: str
    weekday: str  # of the UTC date
    hour: int  # UTC
    hour_bucket: str  # "00-04" ... "20-24" (UTC)
    session: str  # Asia, Asia+Europe, Europe, Europe+US, US, off
    weekend: bool  # Saturday or Sunday UTC


def zone(tz: str) -> ZoneInfo:
    """The IANA zone for `tz`; a bad name is the owner's mistake, so UserError with one line."""
    try:
        return ZoneInfo(tz.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {tz!r} (use an IANA name like Europe/Berlin)") from None


def session_of(hour: int) -> str:
    """Trading session(s) open at this UTC hour, overlaps joined with '+'."""
    open_now = [name for name, (start, end) in SESSION_HOURS.items() if start <= hour < end]
    return "+".join(open_now) if open_now else "off"


def hour_bucket(hour: int) -> str:
    start = (hour // 4) * 4
    return f"{start:02d}-{start + 4:02d}"


def time_context(ts_ms: int, tz: str = "UTC") -> TimeContext:
    utc = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    local = utc.astimezone(zone(tz))
    return TimeContext(
        ts_ms=ts_ms,
        utc=utc,
        local=local,
        tz=tz or "UTC",
        weekday=WEEKDAYS[utc.weekday()],
        hour=utc.hour,
        hour_bucket=hour_bucket(utc.hour),
        session=session_of(utc.hour),
        weekend=utc.weekday() >= 5,
    )


def from_clock(clock: Clock, tz: str = "UTC") -> TimeContext:
    return time_context(clock.now_ms(), tz)


def features(ts_ms: int, tz: str = "UTC") -> dict[str, str | int | bool]:
    """The time features every decision and trade is stored with (DecisionRow.context_json)."""
    c = time_context(ts_ms, tz)
    return {
        "ts_ms": ts_ms,
        "utc": c.utc.isoformat(timespec="seconds"),
        "local": c.local.isoformat(timespec="seconds"),
        "tz": c.tz,
        "weekday": c.weekday,
        "hour": c.hour,
        "hour_bucket": c.hour_bucket,
        "session": c.session,
        "weekend": c.weekend,
    }
