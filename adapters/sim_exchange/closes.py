"""Kraken's conditional close (`close[ordertype]`, `close[price]`): orders placed on fills.

Kraken's semantics (docs.kraken.com, Spot WebSocket v2 `add_order`/`batch_add`, `conditional`:
"used as a template for generating the secondary close orders when the primary order fills.
Each fill on the primary order will generate a new secondary order. The size of the secondary
order will be the same size as the fill"; support article "Conditional Close": placed only when
the primary executes, opposite side, an independent order afterwards). So a parent filled in
three parts has three close orders, each the size of its fill, each carrying the parent's
`userref`, with `refid` = the parent's txid (the order that created it).

Why it is tricky: a market parent fills *inside* `create_order`, before we know its id, and a
resting parent may fill on the replay thread right after `create_order` returns. So the close
is registered after placement; what is placed is always "filled so far minus what closes
already cover", computed under one lock, both by the fill listener and by the read-back right
after registering: every filled unit gets exactly one close, whichever path sees it first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
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


@dataclass
class _Parent:
    spec: CloseSpec
    covered: Decimal = Decimal(0)
    closes: list[str] = field(default_factory=list)


class ConditionalCloses:
    """Parent order id -> the close orders placed for its fills (one per fill)."""

    def __init__(self, exchange: Exchange, userrefs: dict[str, int]) -> None:
        self._exchange = exchange
        self._userrefs = userrefs
        self._parents: dict[str, _Parent] = {}
        self._specs: dict[str, dict[str, str]] = {}  # parent id -> raw close fields (for descr)
        self.refids: dict[str, str] = {}  # close order id -> parent id (Kraken's `refid`)
        self._lock = threading.Lock()

    def raw(self, order_id: str) -> dict[str, str] | None:
        return self._specs.get(order_id)

    def closes_of(self, parent_id: str) -> list[str]:
        with self._lock:
            parent = self._parents.get(parent_id)
            return list(parent.closes) if parent is not None else []

    def register(self, parent: Order, spec: CloseSpec, raw: dict[str, str]) -> None:
        with self._lock:
            self._parents[parent.id] = _Parent(spec)
            self._specs[parent.id] = raw
        try:
            current = self._exchange.fetch_order(parent.id)
        except ZynError:
            return
        self._cover(current)

    def on_fill(self, order: Order, fill: Fill) -> None:
        """Fill listener for the paper exchange (runs on whichever thread filled the order)."""
        self._cover(order)

    def _cover(self, parent: Order) -> None:
        """Place one close for the part of `parent` filled and not yet covered (if any).

        The amount is claimed under the lock, the order placed outside it: the paper exchange
        calls the fill listener holding its own lock (and a close through the price fills, and
        calls it again, at once), so holding ours across `create_order` could deadlock."""
        with self._lock:
            state = self._parents.get(parent.id)
            if state is None or parent.filled <= state.covered:
                return
            amount = parent.filled - state.covered
            state.covered = parent.filled
            spec = state.spec
        side: Side = "sell" if parent.side == "buy" else "buy"
        try:
            close = self._exchange.create_order(OrderRequest(parent.pair, side, spec.ordertype, amount, spec.price))
        except ZynError as exc:
            log.bind(parent=parent.id).warning("conditional close for {} refused: {}", parent.id, exc)
            return
        with self._lock:
            state.closes.append(close.id)
            self.refids[close.id] = parent.id
            if spec.userref is not None:
                self._userrefs[close.id] = spec.userref
        log.bind(parent=parent.id, close=close.id, amount=str(amount)).info(
            "placed conditional close {} for {} of {}", close.id, amount, parent.id)
