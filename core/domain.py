"""Value objects shared by every layer.

Money that goes to an exchange is `Decimal` so that what we send is exactly what we meant;
indicator maths stays in floats. Pairs are always in the common `BASE/QUOTE` form (`BTC/USD`);
exchange-specific names (XXBTZUSD, XBTUSD) are translated at the adapter boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop-loss", "take-profit"]
OrderStatus = Literal["open", "closed", "canceled"]


class ZynError(Exception):
    """Base of the errors Zyn raises on purpose."""


class UserError(ZynError):
    """Bad input from a person or a file: answer with one line, change nothing."""


class ExchangeError(ZynError):
    """The exchange refused a request (its own words are in the message)."""


class InsufficientFunds(ExchangeError):
    """The account cannot pay for the order."""


class LeaseLost(ExchangeError):
    """This process does not (or can no longer prove it does) hold the lease on the money: the
    order was refused before it reached the exchange (issue 19.4, lease fencing)."""


class InvalidOrder(ExchangeError):
    """The order is malformed or below the exchange minimum."""


class OrderNotFound(ExchangeError):
    """No order with that id exists on the exchange."""


class ExchangeUnavailable(ZynError):
    """A transient failure (network, rate limit, maintenance): retry later."""


class OrderOutcomeUnknown(ExchangeUnavailable):
    """An order was sent and may have executed (answer lost, empty or unreadable, order not yet
    visible): neither placed nor absent is proved, so it must never be sent again nor called
    "failed". Its journal row stays `new`/`open` and the next sync settles it (issue 19)."""


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; `ts` is the candle's OPEN time in Unix milliseconds UTC."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class Market:
    """Trading rules of one pair, as the exchange publishes them (Kraken AssetPairs)."""

    pair: str  # BTC/USD
    base: str  # BTC
    quote: str  # USD
    exchange_id: str = ""  # XXBTZUSD
    altname: str = ""  # XBTUSD
    lot_decimals: int = 8
    pair_decimals: int = 8
    ordermin: Decimal = Decimal("0")
    costmin: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What we ask an exchange to do. `price` is the limit price or the stop/take-profit trigger."""

    pair: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    client_ref: str = ""
    validate: bool = False
    # Issue 21: Kraken's conditional close on an entry (`close[ordertype]=stop-loss`,
    # `close[price]`): the exchange itself places a stop-loss at this price for what fills.
    close_stop: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the exchange reports it."""

    id: str
    pair: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None
    status: OrderStatus
    filled: Decimal = Decimal("0")
    average_price: Decimal | None = None
    fee: Decimal = Decimal("0")
    client_ref: str = ""
    created_ms: int = 0
    closed_ms: int | None = None
    validated_only: bool = False


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution (a Kraken 'trade' in TradesHistory). Fees are in the quote currency."""

    id: str
    order_id: str
    pair: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Ticker:
    pair: str
    last: Decimal
    bid: Decimal
    ask: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Balances:
    """Per-asset totals and the part not reserved by open orders (common asset names)."""

    total: dict[str, Decimal] = field(default_factory=dict)
    free: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """Something the owner should hear about (fill, stop, kill-switch, error...)."""

    kind: str  # trade_opened, trade_closed, stop_hit, kill_switch, circuit, error, report
    text: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ClosedTrade:
    """One finished backtest trade (the reference backtester's and the kernel's: float figures)."""

    pair: str
    entry_ts: int  # open time of the candle whose open filled the entry
    exit_ts: int  # open time of the candle in which the exit filled
    amount: float
    entry_price: float
    exit_price: float
    stop: float
    target: float
    fees: float
    pnl: float  # net of both fees
    r_multiple: float  # pnl / (amount x (entry - stop))
    reason: str  # stop, target, kill_switch, end
    atr: float = 0.0
    sma: float = 0.0
    signal_close: float = 0.0
    size_factor: float = 1.0
