"""The advanced modules' flags (core.strategy.entry_rules.EntryRules: mtf, profit_target with the trading
sessions) as the kernel's parameters.

Why here: the loop takes numbers and arrays, not the rules object. Which modules are on, the
confirming timeframes, the target and its action are read once per run (a backtest's rules are
fixed); the sessions become one byte per candle (open at the entry time or not), computed with
numpy so the loop never needs a time zone. The target's state goes back to the rules at the end,
as the reference leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from core.kernel import layout as L
from core.market_data.arrays import F64, I64, CandleArrays
from core.markets.timeframes import timeframe_ms
from core.strategy.entry_rules import EntryRules
from core.strategy.sessions import Sessions

DAY_MS = 86_400_000
MINUTE_MS = 60_000
OFFSET_STEP_MS = 15 * MINUTE_MS  # every time zone's offset is constant within a UTC quarter hour


@dataclass
class ModuleFlags:
    rules: EntryRules | None
    tf_ms: int
    mtf: bool
    profit_target: bool
    hms: I64  # confirming timeframes in ms (empty: mtf off)
    sessions: npt.NDArray[np.uint8]  # 1 = an entry after this candle falls in a session (empty: always)

    @classmethod
    def of(cls, rules: EntryRules | None, timeframe: str, a: CandleArrays) -> ModuleFlags:
        tf_ms = timeframe_ms(timeframe)
        if rules is None:
            return cls(None, tf_ms, False, False, np.zeros(0, np.int64), np.zeros(0, np.uint8))
        mtf = bool(rules.enabled("mtf")) and bool(rules.confirming)
        target = bool(rules.enabled("profit_target"))
        hms = np.array([timeframe_ms(h) for h in rules.confirming] if mtf else [], np.int64)
        sessions = session_mask(rules.sessions, a.ts + tf_ms) if target else np.zeros(0, np.uint8)
        return cls(rules, tf_ms, mtf, target, hms, sessions)

    def apply(self, fp: F64, ip: I64, st: I64) -> None:
        ip[L.Q_TF_MS] = self.tf_ms
        ip[L.Q_MTF] = int(self.mtf)
        ip[L.Q_PT] = int(self.profit_target)
        if self.rules is None:
            return
        target = self.rules.target
        fp[L.P_PT_PCT] = target.pct
        ip[L.Q_PT_ACTION] = L.PT_ACTIONS[target.action]
        if target.reached_day is not None:
            st[L.I_PT_HAS], st[L.I_PT_DAY] = 1, target.reached_day

    def finish(self, st: I64) -> None:
        """Leave the target's state in the rules, as the reference's run does."""
        if self.rules is not None and st[L.I_PT_HAS] == 1:
            self.rules.target.reached_day = int(st[L.I_PT_DAY])


def session_mask(sessions: Sessions, when_ms: I64) -> npt.NDArray[np.uint8]:
    """core.strategy.sessions.Sessions.open_at for every time in `when_ms` at once (empty: no sessions)."""
    if sessions.always or len(when_ms) == 0:
        return np.zeros(0, np.uint8)
    local = when_ms + _offsets_ms(sessions.tz, when_ms)
    minute = (local // MINUTE_MS) % (24 * 60)
    inside = np.zeros(len(when_ms), np.bool_)
    for start, end in sessions.windows:
        inside |= (start <= minute) & (minute < end) if start < end else (minute >= start) | (minute < end)
    return inside.astype(np.uint8)


def _offsets_ms(tz: str, when_ms: I64) -> I64:
    """The zone's UTC offset at each time, looked up once per quarter hour of the data."""
    if tz == "UTC":
        return np.zeros(len(when_ms), np.int64)
    zone = ZoneInfo(tz)
    steps = when_ms // OFFSET_STEP_MS
    keys, back = np.unique(steps, return_inverse=True)
    offsets = np.array([_offset(zone, int(k) * OFFSET_STEP_MS) for k in keys.tolist()], np.int64)
    return offsets[back]


def _offset(zone: ZoneInfo, ms: int) -> int:
    delta = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds() * 1000) if delta is not None else 0
