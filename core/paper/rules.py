"""Kraken spot order rules as pure functions: rounding, minimums, triggers, reservations.

Kept apart from the engine's state so each rule is small and checked in isolation; the error
strings are Kraken's own so callers (and the sim server) can pass them through unchanged.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from core.domain import InvalidOrder, Market, Order, OrderRequest, OrderType, Side

ERR_VOLUME = "EGeneral:Invalid arguments:volume"
ERR_PRICE = "EGeneral:Invalid arguments:price"
ERR_ORDERTYPE = "EGeneral:Invalid arguments:ordertype"
ERR_SIDE = "EGeneral:Invalid arguments:type"
ERR_MINIMUM = "EOrder:Order minimum not met"
ERR_FUNDS = "EOrder:Insufficient funds"
ERR_UNKNOWN_ORDER = "EOrder:Unknown order"
ERR_UNKNOWN_PAIR = "EQuery:Unknown asset pair"


def err_no_price(pair: str) -> str:
    """The paper engine's own refusal (Kraken has no such case): a market order before any quote."""
    return f"EOrder:no price yet for {pair}"

ORDER_TYPES: tuple[OrderType, ...] = ("market", "limit", "stop-loss", "take-profit")
SIDES: tuple[Side, ...] = ("buy", "sell")


def quantum(decimals: int) -> Decimal:
    """The smallest step with `decimals` places (8 -> 0.00000001)."""
    return Decimal(1).scaleb(-decimals)


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """Floats go through their shortest repr so 36160.9 stays 36160.9, not 36160.900000000001."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def normalize_amount(raw: Decimal, market: Market) -> Decimal:
    """Truncate to lot_decimals (Kraken never rounds a volume up) and reject non-positive ones."""
    try:
        value = to_decimal(raw)
        if not value.is_finite():
            raise InvalidOrder(ERR_VOLUME)
        amount = value.quantize(quantum(market.lot_decimals), rounding=ROUND_DOWN)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidOrder(ERR_VOLUME) from exc
    if amount <= 0:
        raise InvalidOrder(ERR_VOLUME)
    return amount


def normalize_price(raw: Decimal | None, market: Market) -> Decimal:
    """Round a limit/trigger price to pair_decimals; missing or non-positive is Kraken's error."""
    if raw is None:
        raise InvalidOrder(ERR_PRICE)
    try:
        value = to_decimal(raw)
        if not value.is_finite():
            raise InvalidOrder(ERR_PRICE)
        price = value.quantize(quantum(market.pair_decimals), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidOrder(ERR_PRICE) from exc
    if price <= 0:
        raise InvalidOrder(ERR_PRICE)
    return price


def normalize_request(request: OrderRequest, market: Market) -> tuple[Decimal, Decimal | None]:
    """(amount, level) after Kraken's rounding; level is None for market orders."""
    if request.side not in SIDES:
        raise InvalidOrder(ERR_SIDE)
    if request.type not in ORDER_TYPES:
        raise InvalidOrder(ERR_ORDERTYPE)
    amount = normalize_amount(request.amount, market)
    if request.type == "market":
        return amount, None
    return amount, normalize_price(request.price, market)


def check_minimum(amount: Decimal, price: Decimal, market: Market) -> None:
    """Kraken rejects both a volume below ordermin and a cost below costmin."""
    if amount < market.ordermin or amount * price < market.costmin:
        raise InvalidOrder(ERR_MINIMUM)


def is_triggered(side: Side, order_type: OrderType, level: Decimal | None, price: Decimal) -> bool:
    """Whether an order at `level` executes when the market trades at `price`.

    Buy limit, buy take-profit and sell stop-loss fire at or below their level; sell limit,
    sell take-profit and buy stop-loss at or above it.
    """
    if order_type == "market" or level is None:
        return True
    fires_below = (side == "buy") == (order_type in ("limit", "take-profit"))
    return price <= level if fires_below else price >= level


def reservation(order: Order, market: Market, fee_rate: Decimal) -> tuple[str, Decimal]:
    """What an open order holds back, like Kraken spot: base for sells, quote plus fee for buys."""
    remaining = order.amount - order.filled
    if order.side == "sell":
        return market.base, remaining
    price = order.price if order.price is not None else Decimal(0)
    return market.quote, remaining * price * (1 + fee_rate)


def fill_cost(amount: Decimal, price: Decimal, fee_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(notional, fee); the fee is in the quote currency on both sides."""
    notional = amount * price
    return notional, notional * fee_rate
