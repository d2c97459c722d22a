"""Typed commands: the only way the autopilot, chat and scheduler ask trading to act (issue 18).

Why typed: each caller used to reach into `TradingService` members (its lock, guard, journal,
exchange); a command names what is asked and nothing else, and `TradingService.handle` is the
one door that takes the trading lock around it. Frozen: a command echoed to the owner and
confirmed with `yes` cannot change in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.strategy.pinned import Decision
from core.strategy.profit_target import DailyTarget
from core.trading.events import DailyLoss
from core.trading.types import ManualOrder


@dataclass(frozen=True)
class PlaceManualOrder:
    """A chat order the owner confirmed (`buy|sell AMOUNT PAIR ...`): re-checked, then sent."""

    order: ManualOrder


@dataclass(frozen=True)
class EnterOnSignal:
    """The autopilot's entry for one decision (size, stop and target distances come from it)."""

    pair: str
    decision: Decision
    decision_id: int | None = None


@dataclass(frozen=True)
class ExitPosition:
    """Close every position in `pair` at market, each after its own stop is canceled."""

    pair: str
    reason: str  # a reason code: kill_switch, flatten, manual, target, ...


@dataclass(frozen=True)
class Flatten:
    """Close every position and cancel every order (the owner's `flatten`, the kill-switch)."""

    reason: str


@dataclass(frozen=True)
class FlattenPair:
    pair: str
    reason: str


@dataclass(frozen=True)
class MoveStop:
    """Replace a position's stop at a new price (the old one is canceled and confirmed first)."""

    trade_id: int
    stop: Decimal


@dataclass(frozen=True)
class CancelOrders:
    """One order by id, or (None) every order except the stops of open positions."""

    order_id: str | None = None


@dataclass(frozen=True)
class Pause:
    reason: str
    until_ms: int | None = None  # a timed pause ends by `ResumeIfDue`


@dataclass(frozen=True)
class Resume:
    """The owner's `resume`: lifts a pause and today's kill-switch."""


@dataclass(frozen=True)
class ResumeIfDue:
    """A scheduler tick: end a timed pause whose end has come (the kill-switch stays)."""

    now_ms: int


@dataclass(frozen=True)
class TripKillSwitch:
    """Daily loss limit reached: flatten everything, halt entries until the next UTC day."""

    loss: DailyLoss


@dataclass(frozen=True)
class TakeProfit:
    """The watcher saw `price` for `pair`: exit every position whose target it reached."""

    pair: str
    price: Decimal
    ts_ms: int


@dataclass(frozen=True)
class LockInProfit:
    """The day's profit target was reached: `breakeven` raises every stop to break-even plus
    fees, `flatten` sells every position, `hold` only tells (core/trading/profit_lock.py)."""

    action: str
    target: DailyTarget | None = None


Command = (
    PlaceManualOrder
    | EnterOnSignal
    | ExitPosition
    | Flatten
    | FlattenPair
    | MoveStop
    | CancelOrders
    | Pause
    | Resume
    | ResumeIfDue
    | TripKillSwitch
    | TakeProfit
    | LockInProfit
)
