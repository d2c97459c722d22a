"""The parsed form of a chat command, shared by the parser modules and the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.trading.types import ManualOrder

PUNCT = "?!.,;:"


@dataclass(frozen=True)
class OrderSpec:
    """A chat order as parsed; same field names as `core.trading.types.ManualOrder`."""

    side: Literal["buy", "sell"]
    amount: Decimal
    pair: str
    price: Decimal | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    quote_amount: Decimal | None = None  # "buy $100 of BTC": amount is computed from the price


def build_manual_order(spec: OrderSpec) -> ManualOrder:
    """The trading service's `ManualOrder` (the quote amount was turned into `amount` before)."""
    return ManualOrder(side=spec.side, amount=spec.amount, pair=spec.pair, price=spec.price, stop=spec.stop,
                       target=spec.target)


@dataclass(frozen=True)
class Command:
    """A recognised command; `args` are already validated and normalised strings."""

    name: str
    args: tuple[str, ...] = ()
    order: OrderSpec | None = None
