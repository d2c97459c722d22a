"""Value objects of the trading service's public API (pinned in docs/ARCHITECTURE.md).

Frozen so a preview shown to the owner cannot change between the echo and the `yes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.domain import Side


@dataclass(frozen=True)
class ManualOrder:
    """`buy|sell AMOUNT PAIR [at PRICE] [sl PRICE] [tp PRICE]` as the chat parser reads it."""

    side: Side
    amount: Decimal
    pair: str
    price: Decimal | None = None  # limit price; None = market
    stop: Decimal | None = None
    target: Decimal | None = None
    placed_by: str = ""  # "jimmy on telegram": a manual buy becomes a position of its own, named so


@dataclass(frozen=True)
class OrderPreview:
    """What an order would do, echoed back before the owner confirms it."""

    text: str
    amount: Decimal
    pair: str
    side: Side
    price_est: Decimal
    stop: Decimal | None
    target: Decimal | None
    est_cost: Decimal
    closes_positions: int = 0  # a sell: how many open positions it closes (each cancels its stop)


@dataclass(frozen=True)
class ActionResult:
    """Outcome of a money action: `ok=False` carries a one-line reason and changed nothing."""

    ok: bool
    text: str  # the journal's diagnostic line; owners read bot's words for `code` + `data`
    data: dict[str, object] = field(default_factory=dict)
    code: str = ""  # a `core.trading.results.Code` (empty: the generic done/refused by `ok`)
