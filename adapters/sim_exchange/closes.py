"""Kraken's conditional close (`close[ordertype]`, `close[price]`): an order placed on a fill.

Why it is tricky: a market parent fills *inside* `create_order`, before we know its id, and a
resting parent may fill on the replay thread right after `create_order` returns. So the close is
registered after placement, the fill listener places it when a registered parent is complete,
and a read-back after registering catches a parent that completed in between. Popping under a
lock makes sure each close is placed exactly once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

from loguru import logger

from core.domain import Fill, Order, OrderRequest, OrderType, Side, ZynError
from core.ports import Exchange

log = logger.bind(component="sim_exchange")


@dataclass(frozen=True)
class CloseSpec:
    ordertype: OrderType
    price: Decimal | None
    userref: int | None = None


class ConditionalCloses:
    """Parent order id -> the close order to place once the parent is fully filled."""

    def __init__(self, exchange: Exchange, userrefs: dict[str, int]) -> None:
        self._exchange = exchange
        self._userrefs = userrefs
        self._pending: dict[str, CloseSpec] = {}
        self._specs: dict[str, dict[str, str]] = {}  # parent id -> raw close fields (for descr)
        self._lock = threading.Lock()

    def raw(self, order_id: str) -> dict[str, str] | None:
        return self._specs.get(order_id)

    def register(self, parent: Order, spec: CloseSpec, raw: dict[str, str]) -> None:
        with self._lock:
            self._pending[parent.id] = spec
            self._specs[parent.id] = raw
        try:
            current = self._exchange.fetch_order(parent.id)
        except ZynError:
            return
        if _complete(current):
            self._place_for(current)

    def on_fill(self, order: Order, fill: Fill) -> None:
        """Fill listener for the paper exchange (runs on whichever thread filled the order)."""
        if _complete(order):
            self._place_for(order)

    def _place_for(self, parent: Order) -> None:
        with self._lock:
            spec = self._pending.pop(parent.id, None)
        if spec is None:
            return
        side: Side = "sell" if parent.side == "buy" else "buy"
        request = OrderRequest(
            pair=parent.pair, side=side, type=spec.ordertype, amount=parent.filled, price=spec.price
        )
        try:
            close = self._exchange.create_order(request)
        except ZynError as exc:
            log.bind(parent=parent.id).warning("conditional close for {} refused: {}", parent.id, exc)
            return
        if spec.userref is not None:
            self._userrefs[close.id] = spec.userref
        log.bind(parent=parent.id, close=close.id).info("placed conditional close {}", close.id)


def _complete(order: Order) -> bool:
    return order.status == "closed" and order.filled > 0
