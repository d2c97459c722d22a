"""Typed results of trading commands: what was done, as data (issue 18).

Why data: the words for the owner differ per channel and were written in three places (core's
"Bought …" sentence, the reply's, the alert's), rounding differently. A result carries ids,
pair, side, Decimal amounts and prices, fees and a reason code; bot/ formats it
(`bot/commands/trading_words.py`). `detail` is the diagnostic behind a refusal or a failure
(an exchange's message, the check that refused) for logs and for the one-line refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.domain import Side


class Code(StrEnum):
    """Why a command ended as it did; `ok` results use the first group."""

    BOUGHT = "bought"  # filled and bracketed (a stop is on the exchange)
    BOUGHT_STOP_FAILED = "bought_stop_failed"  # filled; its stop failed, sync retries
    LIMIT_PLACED = "limit_placed"  # a limit order rests on the book
    VALIDATED = "validated"  # validate-only mode: the exchange checked it, nothing was placed
    SOLD = "sold"
    CLOSED = "closed"  # positions closed (exit, flatten of a pair)
    FLATTENED = "flattened"
    CANCELED = "canceled"
    PAUSED = "paused"
    RESUMED = "resumed"
    KILL_SWITCH = "kill_switch"
    STOP_MOVED = "stop_moved"
    PROFIT_LOCKED = "profit_locked"  # the daily profit target's action was carried out (detail: per position)
    # refusals and failures (ok=False); nothing changed unless the code says otherwise
    REFUSED = "refused"  # a check refused it before anything was sent (detail says which)
    HALTED = "halted"
    TRADING_PAUSED = "trading_paused"
    CIRCUIT_OPEN = "circuit_open"
    UNKNOWN_PAIR = "unknown_pair"
    NOTHING_TO_DO = "nothing_to_do"
    NO_POSITION = "no_position"
    EXCHANGE_ERROR = "exchange_error"
    OUTCOME_UNKNOWN = "outcome_unknown"  # sent, not seen yet: never "failed" (do not buy again)
    NOT_FILLED = "not_filled"
    STILL_OPEN = "still_open"  # a buy still open after its read-backs; sync finishes it
    PARTLY_FAILED = "partly_failed"


@dataclass(frozen=True)
class EntryFill:
    """A buy that became a position: its trade, what filled at what price, and its levels."""

    trade_id: int
    amount: Decimal
    price: Decimal
    stop: Decimal
    target: Decimal | None
    fee: Decimal = Decimal(0)
    stopped_at_once: bool = False  # the stop was already through the price: closed at once


@dataclass(frozen=True)
class ExitInfo:
    trade_id: int
    origin: str
    reason: str
    amount: Decimal
    price: Decimal
    pnl: Decimal
    pair: str = ""  # a flatten's exits span pairs: each names its own


@dataclass(frozen=True)
class FlattenSold:
    """Coins beyond every position's, sold by a flatten."""

    base: str
    amount: Decimal
    price: Decimal | None


@dataclass(frozen=True)
class FlattenFailure:
    """One step a flatten could not do. `step`: exit, read_orders, cancel, read_balances, sell,
    dust; `subject`: what it concerned (a pair and trade, an order id, an amount and coin);
    `error`: the exchange's message, or for `dust` the pair's minimum order."""

    step: str
    subject: str
    error: str

    def __str__(self) -> str:
        return f"{self.step} {self.subject}: {self.error}"


@dataclass(frozen=True)
class TradeResult:
    ok: bool
    code: Code
    pair: str = ""
    side: Side | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    order_id: str = ""
    client_ref: str = ""
    entry: EntryFill | None = None
    exits: tuple[ExitInfo, ...] = ()
    failed: tuple[FlattenFailure, ...] = ()  # the steps a flatten could not do
    canceled: int = 0
    stop: Decimal | None = None  # a validated buy: the stop it would get
    target: Decimal | None = None
    venue: str = ""  # validate mode: the exchange that checked the order (Kraken)
    stop_check: str = ""  # validate mode: accepted | refused | needs_fill | unchecked | no_price
    detail: str = ""

    @property
    def pnl(self) -> Decimal:
        return sum((e.pnl for e in self.exits), Decimal(0))
