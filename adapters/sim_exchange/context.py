"""Shared state of one sim app: the paper account, its markets, and Kraken's error vocabulary.

Why a context object: handlers stay plain functions `(ctx, params) -> result` that are easy to
read side by side with Kraken's docs, and `KrakenError` carries Kraken's exact error string to
the JSON envelope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from adapters.kraken.names import kraken_altname, kraken_pair_id
from adapters.sim_exchange.candles import CandleBook
from adapters.sim_exchange.closes import ConditionalCloses
from adapters.sim_exchange.kraken_format import wsname
from adapters.sim_exchange.lag import FillLag
from core.domain import (
    Candle,
    ExchangeUnavailable,
    Fill,
    InsufficientFunds,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    OrderRequest,
    UserError,
    ZynError,
)
from core.ports import Clock, Exchange

_CODE = re.compile(r"(E[A-Z][A-Za-z]*:[^\n;]+)")


class PaperLike(Exchange, Protocol):
    """The paper extras the sim needs besides the Exchange port."""

    def set_price(self, pair: str, price: Decimal, ts_ms: int) -> None: ...

    def walk_candle(self, pair: str, candle: Candle) -> None: ...

    def create_order(self, request: OrderRequest, fill_at_most: Decimal | None = None) -> Order: ...


class KrakenError(Exception):
    """Answer `{"error": [code], "result": {}}` with Kraken's own string."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def kraken_error(exc: ZynError) -> KrakenError:
    """A domain error from the paper exchange -> the Kraken string a client would see."""
    found = _CODE.search(str(exc))
    if found:
        return KrakenError(found.group(1).strip())
    if isinstance(exc, InsufficientFunds):
        return KrakenError("EOrder:Insufficient funds")
    if isinstance(exc, OrderNotFound):
        return KrakenError("EOrder:Unknown order")
    if isinstance(exc, ExchangeUnavailable):
        return KrakenError("EService:Unavailable")
    if isinstance(exc, InvalidOrder | UserError):
        return KrakenError("EGeneral:Invalid arguments")
    return KrakenError("EGeneral:Internal error")


def decimal_arg(params: dict[str, str], name: str, required: bool = True) -> Decimal | None:
    raw = params.get(name, "").strip()
    if not raw:
        if required:
            raise KrakenError(f"EGeneral:Invalid arguments:{name}")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}") from None
    if not value.is_finite() or value <= 0:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    return value


@dataclass
class SimContext:
    exchange: PaperLike
    clock: Clock
    candles: CandleBook
    markets: dict[str, Market] = field(default_factory=dict)
    userrefs: dict[str, int] = field(default_factory=dict)  # order id -> userref
    closes: ConditionalCloses | None = None
    lag: FillLag = field(default_factory=FillLag)  # REST shows fills late (FILL_LAG_S, issue 21)
    # told of every order a client cancelled (the `executions` socket reports it, issue 21)
    cancel_listeners: list[Callable[[Order], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.markets:
            self.markets = {
                pair: _with_names(m) for pair, m in self.exchange.load_markets().items()
            }
        self._by_name: dict[str, str] = {}
        for pair, m in self.markets.items():
            for name in (m.exchange_id, m.altname, wsname(pair), pair, pair.replace("/", "")):
                self._by_name[name.upper()] = pair

    def pair(self, name: str) -> str:
        """A Kraken pair name (XXBTZUSD, XBTUSD, XBT/USD) -> BASE/QUOTE, else EQuery:Unknown asset pair."""
        pair = self._by_name.get(name.strip().upper())
        if pair is None:
            raise KrakenError("EQuery:Unknown asset pair")
        return pair

    def pairs_arg(self, params: dict[str, str]) -> list[str]:
        raw = params.get("pair", "").strip()
        if not raw:
            return list(self.markets)
        return [self.pair(p) for p in raw.split(",") if p.strip()]

    def market(self, pair: str) -> Market:
        return self.markets[pair]

    def canceled(self, order_id: str) -> None:
        """A client's CancelOrder/CancelAll took `order_id` off the book: tell the listeners."""
        try:
            order = self.exchange.fetch_order(order_id)
        except ZynError:
            return
        for listener in list(self.cancel_listeners):
            listener(order)

    def all_orders(self) -> list[Order]:
        return self.exchange.fetch_open_orders() + self.exchange.fetch_closed_orders()

    def fills(self, since_ms: int | None = None) -> list[Fill]:
        return self.exchange.fetch_my_trades(since_ms)


def _with_names(m: Market) -> Market:
    """Markets from the catalogue carry Kraken names; fill them in when a caller left them empty."""
    return replace(
        m,
        exchange_id=m.exchange_id or kraken_pair_id(m.pair),
        altname=m.altname or kraken_altname(m.pair),
    )


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def pair_of(ctx: SimContext, name: str) -> str | None:
    """The pair an order call is about: a pair name (AddOrder) or an order's txid (CancelOrder)."""
    try:
        return ctx.pair(name)
    except KrakenError:
        pass
    try:
        return ctx.exchange.fetch_order(name).pair
    except ZynError:
        return None
