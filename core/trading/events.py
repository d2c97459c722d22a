"""Typed events trading publishes on its bus after a change is committed (issue 18).

Why events: the autopilot's cool-off, the owner's alerts, the status cache and the take-profit
watcher used to be called from inside trading through ad-hoc hooks (`add_exit_listener`, a
notifier with English text). An event is data only — ids, pair, side, Decimal amounts and
prices, fees, reason and kind codes — and each subscriber turns it into what it needs (bot/
into words per channel). Published after the commit, under the trading lock, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.domain import Side


class SafetyKind(StrEnum):
    """The kinds of safety events (the `safety_events.kind` column holds the same codes)."""

    NAKED_POSITION = "naked_position"
    STOP_RESTORED = "stop_restored"
    STOP_FAILED = "stop_failed"
    UNKNOWN_OUTCOME = "unknown_outcome"
    PARTIAL_ENTRY = "partial_entry"
    PARTIAL_FILL = "partial_fill"
    FLATTEN = "flatten"
    KILL_SWITCH = "kill_switch"
    PAUSE = "pause"
    RESUME = "resume"
    ZERO_EQUITY = "zero_equity"
    OTHER = "other"

    @classmethod
    def of(cls, code: str) -> SafetyKind:
        try:
            return cls(code)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True)
class OrderFilled:
    """An order of Zyn's filled (wholly or the part shown in `amount`)."""

    order_id: str
    pair: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    purpose: str  # entry, manual, entry_limit, stop, exit, ...
    trade_id: int | None = None


@dataclass(frozen=True)
class PositionOpened:
    trade_id: int
    pair: str
    amount: Decimal
    entry_price: Decimal
    stop: Decimal
    target: Decimal | None
    fee: Decimal
    origin: str  # autopilot | manual
    placed_by: str = ""


@dataclass(frozen=True)
class StopPlaced:
    trade_id: int
    pair: str
    order_id: str
    stop: Decimal
    amount: Decimal


@dataclass(frozen=True)
class StopMoved:
    trade_id: int
    pair: str
    old_stop: Decimal
    new_stop: Decimal


@dataclass(frozen=True)
class PositionClosed:
    """A trade is closed: net P&L after both fees, its R multiple, why (stop, target, manual...)."""

    trade_id: int
    pair: str
    reason: str
    amount: Decimal
    exit_price: Decimal
    pnl: Decimal
    r_multiple: float
    exit_ms: int
    origin: str = "autopilot"


@dataclass(frozen=True)
class SafetyEvent:
    """A safety event as journaled (`detail` is the journal's diagnostic, not a reply)."""

    kind: SafetyKind
    code: str  # the journal's kind as written (== kind unless kind is OTHER)
    detail: str
    pair: str = ""


@dataclass(frozen=True)
class TradingPaused:
    reason: str
    until_ms: int | None = None


@dataclass(frozen=True)
class TradingResumed:
    was_paused: str | None
    was_halted: bool
    timed: bool = False  # a timed pause that ran out (not the owner's `resume`)


@dataclass(frozen=True)
class KillSwitchTripped:
    detail: str


TradingEvent = (
    OrderFilled
    | PositionOpened
    | StopPlaced
    | StopMoved
    | PositionClosed
    | SafetyEvent
    | TradingPaused
    | TradingResumed
    | KillSwitchTripped
)
