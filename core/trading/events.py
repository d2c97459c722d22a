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

from core.domain import Order
from core.trading.results import ExitInfo, FlattenFailure, FlattenSold


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
    """An order of Zyn's filled, as the exchange reported it (`order.filled` of its amount, at
    `order.average_price`, its fee in the quote currency)."""

    order: Order
    purpose: str  # entry, manual, entry_limit, stop, exit, ...
    trade_id: int | None = None

    @property
    def price(self) -> Decimal:
        return self.order.average_price or self.order.price or Decimal(0)


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
class DailyLoss:
    """Why a daily-loss kill-switch tripped: equity against the day's start, the limit in force
    (a fraction: 0.03 is 3 %, the owner's `set daily loss`), at the close of the candle seen."""

    equity: Decimal
    start_equity: Decimal
    limit: Decimal
    candle_ms: int

    def detail(self) -> str:
        """The journal's diagnostic line (the owner's words: bot/text/safety.py)."""
        return (f"equity={self.equity} start={self.start_equity} loss={self.start_equity - self.equity} "
                f"limit={self.limit} candle_ms={self.candle_ms}")


@dataclass(frozen=True)
class KillSwitchTripped:
    loss: DailyLoss


# --- Safety notices: what the owner must hear about a position or the account (issue 18). Each
# is published once, where the change happens; bot/alerts/trade_alerts.py words it through
# bot/text/safety.py. `error` fields carry the exchange's own message (a diagnostic, quoted).


@dataclass(frozen=True)
class NakedPosition:
    """A position's stop could not be placed: its coins have NO stop (told once; sync retries)."""

    pair: str
    trade_id: int
    error: str


@dataclass(frozen=True)
class UnplannedFill:
    """A buy filled with no saved plan and no ATR known: its coins have NO stop."""

    pair: str
    order_id: str
    filled: Decimal


@dataclass(frozen=True)
class StopRestored:
    """A position told as naked is protected again (its stop is on, or it was closed)."""

    pair: str
    trade_id: int


@dataclass(frozen=True)
class PartialFill:
    """A sell (stop or exit) sold part of a position; `left` stays, its stop re-sized."""

    pair: str
    trade_id: int
    reason: str
    sold: Decimal
    price: Decimal
    left: Decimal


@dataclass(frozen=True)
class PartialEntry:
    """A limit buy filled in part; the rest was canceled so what filled gets its stop now."""

    pair: str
    order_id: str
    filled: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OutcomeResolved:
    """A buy whose outcome was unknown turned out filled; its trade is protected by `stop`.
    `planned`: the stop is the saved plan's (else the strategy's ATR rule made one)."""

    pair: str
    trade_id: int
    amount: Decimal
    price: Decimal
    stop: Decimal
    planned: bool


@dataclass(frozen=True)
class StrayStops:
    """The exchange showed stops beside the position's own: they are being canceled."""

    pair: str
    trade_id: int
    stray_ids: tuple[str, ...]
    own_id: str


@dataclass(frozen=True)
class StopMissing:
    """The exchange does not know a stop `grace_s` seconds after accepting it: placed again."""

    pair: str
    trade_id: int
    stop_order_id: str
    grace_s: int


@dataclass(frozen=True)
class Flattened:
    """A flatten ran: what it closed, canceled, sold, and what it could not do."""

    reason: str
    exits: tuple[ExitInfo, ...]
    canceled: int
    sold: tuple[FlattenSold, ...]
    failed: tuple[FlattenFailure, ...]


@dataclass(frozen=True)
class ProfitLockOutcome:
    """What the daily profit target did to one pair's positions. `what`: closed (the `exits`),
    failed (`error`), at_breakeven (the stop already was), raised (to `stop`), or
    closed_by_stop (filled at `price` while being raised to `stop`)."""

    pair: str
    what: str
    exits: tuple[ExitInfo, ...] = ()
    stop: Decimal | None = None
    price: Decimal | None = None
    error: str = ""


@dataclass(frozen=True)
class ProfitTargetReached:
    """The daily profit target (`pct`, a fraction; None when unknown) was reached: no entries
    until the next UTC day, and `action` (breakeven | flatten | hold) was carried out."""

    pct: Decimal | None
    action: str
    outcomes: tuple[ProfitLockOutcome, ...]


@dataclass(frozen=True)
class BookChanged:
    """Trading committed a change of positions, trades or orders (`fill=False`), or the exchange
    reported a fill (`fill=True`: balances moved). It carries no figures on purpose: a reader that
    holds a copy of the book (the status snapshot, issue 20.1) only learns that its copy is stale
    and re-reads it. Published right after the commit, possibly on the exchange's thread."""

    fill: bool


PositionNotice = (
    NakedPosition | UnplannedFill | StopRestored | PartialFill | PartialEntry | OutcomeResolved | StrayStops
    | StopMissing
)
"""What the owner hears about one position (bot/text/safety.py words each)."""

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
    | Flattened
    | ProfitTargetReached
    | PositionNotice
    | BookChanged
)
